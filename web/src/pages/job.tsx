import { JOB_STAGES, type JobRecord } from '../../../node/sdk/index.ts'
import { blockAt } from '../chain-data.ts'
import { Facts, Hash, Loaded, Section, Table } from '../components/ui.tsx'
import { eth, score, seconds } from '../format.ts'
import { client, usePoll } from '../node.ts'
import { href } from '../router.ts'
import { Signers } from './blocks.tsx'

const REFRESH_MS = 1500

/** What the job page shows besides the record: its certificate and release as the blocks carry them. */
async function jobView(jobId: `0x${string}`) {
  const job = await client().job(jobId)
  const certifiedBlock = job.certifiedHeight === undefined ? undefined : await blockAt(job.certifiedHeight)
  const releasedBlock = job.releasedHeight === undefined ? undefined : await blockAt(job.releasedHeight)
  return {
    job,
    certificate: certifiedBlock?.block.certified.find((c) => c.jobId === jobId),
    precommits: certifiedBlock?.certificate.precommits.map((p) => p.validator) ?? [],
    release: releasedBlock?.block.released.find((r) => r.jobId === jobId),
  }
}

/** A job: its stages on a timeline, the certificate and who signed it, the anchor, the settlement, the score. */
export function JobPage({ jobId }: { jobId: `0x${string}` }) {
  const polled = usePoll(() => jobView(jobId), REFRESH_MS, [jobId])
  return (
    <Section title="Job">
      <p>
        <Hash value={jobId} />
      </p>
      <Loaded polled={polled}>
        {({ job, certificate, precommits, release }) => (
          <>
            <Facts
              rows={[
                [
                  'stage',
                  <strong key="s" data-testid="job-stage">
                    {job.stage}
                  </strong>,
                ],
                [
                  'vault',
                  <Hash
                    value={job.request.request.vaultId}
                    href={href.vault(job.request.request.vaultId)}
                    key="v"
                  />,
                ],
                ['buyer', <Hash value={job.request.request.buyer} key="b" />],
                ['price', eth(job.request.request.maxPrice)],
                ['deadline height', job.request.request.deadline],
                ...(job.failReason ? ([['failed because', job.failReason]] as const) : []),
                ...(job.refusal
                  ? ([['refused here', `${job.refusal.code}: ${job.refusal.message}`]] as const)
                  : []),
              ]}
            />
            <Timeline job={job} />
            <h3>Heights</h3>
            <Facts
              rows={[
                ['admitted', <HeightLink height={job.admittedHeight} key="a" />],
                ['certified', <HeightLink height={job.certifiedHeight} key="c" />],
                ['released', <HeightLink height={job.releasedHeight} key="r" />],
                ['failed', <HeightLink height={job.failedHeight} key="f" />],
              ]}
            />
            <h3>Certificate</h3>
            {certificate ? (
              <Facts
                rows={[
                  ['result hash', <Hash value={certificate.resultHash} key="r" />],
                  ['execution environment', <Hash value={certificate.execEnvHash} key="e" />],
                  [
                    `attested by (${certificate.attestations.length})`,
                    <Signers addresses={certificate.attestations.map((a) => a.validator)} key="s" />,
                  ],
                  [
                    `block precommitted by (${precommits.length})`,
                    <Signers addresses={precommits} key="p" />,
                  ],
                ]}
              />
            ) : (
              <p class="muted">not certified yet</p>
            )}
            <h3>Anchor</h3>
            {job.anchorTx ? (
              <Facts
                rows={[
                  ['anchor transaction', <Hash value={job.anchorTx.txHash} key="t" />],
                  ['anchored block', <HeightLink height={job.anchorTx.height} key="h" />],
                ]}
              />
            ) : (
              <p class="muted">not anchored yet</p>
            )}
            <h3>Settlement</h3>
            <SettlementView job={job} />
            <h3>Quality score</h3>
            {release ? (
              <>
                <p>
                  score <strong data-testid="quality-score">{score(release.qualityScore)}</strong>
                </p>
                <Table
                  caption="score components"
                  head={['component', 'value']}
                  rows={Object.entries(release.components).map(([name, v]) => [name, score(v)])}
                />
              </>
            ) : (
              <p class="muted">not released yet</p>
            )}
          </>
        )}
      </Loaded>
    </Section>
  )
}

function HeightLink({ height }: { height: number | undefined }) {
  return height === undefined ? <span class="muted">–</span> : <a href={href.block(height)}>{height}</a>
}

/** The stages the job went through, each a bar from the submission, as long as it took to get there. */
export function Timeline({ job }: { job: JobRecord }) {
  const start = Date.parse(job.stages.pending ?? Object.values(job.stages)[0] ?? '')
  const reached = JOB_STAGES.filter((s) => job.stages[s] !== undefined).map((s) => ({
    stage: s,
    at: Date.parse(job.stages[s]!),
  }))
  const total = Math.max(1, ...reached.map((r) => r.at - start))
  return (
    <ol class="timeline" aria-label="stages">
      {reached.map(({ stage, at }) => (
        <li key={stage} data-stage={stage}>
          <span class="stage">{stage}</span>
          <span class="bar" aria-hidden="true">
            <span style={{ width: `${Math.max(1, ((at - start) / total) * 100)}%` }} />
          </span>
          <span class="since">+{seconds(at - start)}</span>
        </li>
      ))}
    </ol>
  )
}

function SettlementView({ job }: { job: JobRecord }) {
  const s = job.settlement
  if (!s) return <p class="muted">escrow open</p>
  const credits = [
    ...(s.owner ? [['owner', s.owner] as const] : []),
    ...(s.validators ?? []).map((v) => ['validator', v] as const),
    ...(s.buyer ? [['buyer (refund)', s.buyer] as const] : []),
  ]
  return (
    <>
      <Facts
        rows={[
          ['status', <strong key="s">{s.status}</strong>],
          ['transaction', <Hash value={s.txHash} key="t" />],
          ['sent by this node', s.byUs ? 'yes' : 'no'],
        ]}
      />
      <Table
        caption="credited"
        head={['to', 'address', 'amount']}
        rows={[
          ...credits.map(([role, c]) => [role, <Hash value={c.address} key="a" />, eth(c.amount)]),
          // A pool's owner share stays in JobMarket until each contributor claims its part.
          ...(s.heldForContributors
            ? [['held for contributors', 'claimed one by one', eth(s.heldForContributors)]]
            : []),
        ]}
      />
    </>
  )
}
