import type { DecidedBlock } from '../../../node/sdk/index.ts'
import { jobIdOf } from '../../../protocol/index.ts'
import { blockAt, blockCounts, recentBlocks } from '../chain-data.ts'
import { Facts, Hash, Loaded, Section, Table } from '../components/ui.tsx'
import { score } from '../format.ts'
import { client, usePoll } from '../node.ts'
import { href } from '../router.ts'

const REFRESH_MS = 2000

/** The latest blocks, live: proposer and what each admitted, certified, released and failed. */
export function BlocksPage({ count = 20 }: { count?: number }) {
  const polled = usePoll(async () => recentBlocks((await client().status()).height, count), REFRESH_MS, [
    count,
  ])
  return (
    <Section title="Latest blocks">
      <Loaded polled={polled}>{(blocks) => <BlockTable blocks={blocks} />}</Loaded>
    </Section>
  )
}

export function BlockTable({ blocks }: { blocks: readonly DecidedBlock[] }) {
  return (
    <Table
      caption="blocks, newest first"
      head={['height', 'proposer', 'admitted', 'certified', 'released', 'failed', 'signers']}
      rows={blocks.map((b) => {
        const c = blockCounts(b)
        return [
          <a href={href.block(b.block.height)} key="h">
            {b.block.height}
          </a>,
          <Hash value={b.block.proposer} key="p" />,
          c.admitted || '',
          c.certified || '',
          c.released || '',
          c.failed || '',
          b.certificate.precommits.length,
        ]
      })}
    />
  )
}

/** One block: header, its jobs by what happened to them, and the precommits that decided it. */
export function BlockPage({ height }: { height: number }) {
  const polled = usePoll(
    async () => {
      const found = await blockAt(height)
      if (!found) throw new Error(`no decided block at height ${height} on this node (yet)`)
      return found
    },
    REFRESH_MS,
    [height],
  )
  return (
    <Section title={`Block ${height}`}>
      <nav aria-label="neighbouring blocks" class="pager">
        {height > 1 ? <a href={href.block(height - 1)}>← {height - 1}</a> : null}
        <a href={href.block(height + 1)}>{height + 1} →</a>
      </nav>
      <Loaded polled={polled}>
        {({ block, blockHash, certificate }) => (
          <>
            <Facts
              rows={[
                ['hash', <Hash value={blockHash} key="h" />],
                ['proposer', <Hash value={block.proposer} key="p" />],
                ['epoch', block.epoch],
                ['round decided', certificate.round],
                ['chain block judged at', block.chainBlock],
                ['parent', <Hash value={block.parentHash} key="pa" />],
              ]}
            />
            <Table
              caption="admitted jobs"
              head={['job', 'vault', 'buyer', 'max price (wei)']}
              rows={block.admitted.map((a) => [
                <JobIdOf request={a.request} key="j" />,
                <Hash value={a.request.vaultId} href={href.vault(a.request.vaultId)} key="v" />,
                <Hash value={a.request.buyer} key="b" />,
                a.request.maxPrice,
              ])}
            />
            <Table
              caption="certified results"
              head={['job', 'result hash', 'attested by']}
              rows={block.certified.map((c) => [
                <Hash value={c.jobId} href={href.job(c.jobId)} key="j" />,
                <Hash value={c.resultHash} key="r" />,
                <Signers addresses={c.attestations.map((a) => a.validator)} key="s" />,
              ])}
            />
            <Table
              caption="releases"
              head={['job', 'quality score', 'owner']}
              rows={block.released.map((r) => [
                <Hash value={r.jobId} href={href.job(r.jobId)} key="j" />,
                score(r.qualityScore),
                <Hash value={r.owner} key="o" />,
              ])}
            />
            <Table
              caption="failed jobs"
              head={['job']}
              rows={block.failed.map((id) => [<Hash value={id} href={href.job(id)} key="j" />])}
            />
            <Table
              caption="commit certificate: precommits"
              head={['validator']}
              rows={certificate.precommits.map((p) => [<Hash value={p.validator} key="v" />])}
            />
          </>
        )}
      </Loaded>
    </Section>
  )
}

/** An admitted request's job id is the hash of the request (protocol/messages/jobRequest.ts). */
function JobIdOf({ request }: { request: Parameters<typeof jobIdOf>[0] }) {
  const id = jobIdOf(request)
  return <Hash value={id} href={href.job(id)} />
}

export function Signers({ addresses }: { addresses: readonly string[] }) {
  return (
    <ul class="inline">
      {addresses.map((a) => (
        <li key={a}>
          <Hash value={a} />
        </li>
      ))}
    </ul>
  )
}
