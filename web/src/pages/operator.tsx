import { useRef } from 'preact/hooks'
import type { Address } from '../../../protocol/index.ts'
import { jobsNewestFirst } from '../chain-data.ts'
import { Facts, Hash, Loaded, Section, Table } from '../components/ui.tsx'
import { eth, seconds } from '../format.ts'
import { client, usePoll } from '../node.ts'
import { href } from '../router.ts'

/** This node as its operator sees it: sync, peers, stake, gossip, what it evaluated and what it refused. */
async function operatorView() {
  const c = client()
  const [status, chain, jobs] = await Promise.all([c.status(), c.chain(), c.jobs()])
  const [record, epoch] = await Promise.all([
    chain.validators.validator(status.address as Address),
    chain.validators.currentEpoch(),
  ])
  const newest = jobsNewestFirst(jobs)
  return {
    status,
    record,
    chainEpoch: epoch,
    evaluated: newest.filter((j) => j.resultBlob !== undefined),
    refused: newest.filter((j) => j.refusal !== undefined || j.failReason !== undefined),
  }
}

export function OperatorPage() {
  // When this page last saw the height move: a node that stops deciding shows it here.
  const lastMove = useRef<{ height: number; at: number } | undefined>(undefined)
  const polled = usePoll(operatorView, 2000, [])
  const status = polled.data?.status
  if (status && lastMove.current?.height !== status.height)
    lastMove.current = { height: status.height, at: Date.now() }
  return (
    <Section title="Operator: this node">
      <Loaded polled={polled}>
        {({ status: s, record, chainEpoch, evaluated, refused }) => (
          <>
            <Facts
              rows={[
                ['validator', <Hash value={s.address} key="a" />],
                ['peer id', <code key="p">{s.peerId}</code>],
                ['height', s.height],
                [
                  'sync',
                  lastMove.current
                    ? `last new height seen ${seconds(Date.now() - lastMove.current.at)} ago; epoch ${s.epoch} here, ${chainEpoch} on chain`
                    : '…',
                ],
                ['stake', `${eth(record.stake)}${record.registered ? '' : ' (not registered)'}`],
                ['in the set of epoch', record.lastEpoch.toString()],
                [
                  'unbonding since',
                  record.unbondingSince === 0n ? 'not unbonding' : record.unbondingSince.toString(),
                ],
              ]}
            />
            <Table
              caption={`peers (${s.peers.length})`}
              head={['peer', 'gossip score']}
              rows={s.peers.map((p) => [<code key="p">{p.peerId}</code>, p.score.toFixed(2)])}
            />
            <Table
              caption="gossip since start"
              head={['topic', 'accepted', 'rejected', 'ignored', 'published']}
              rows={Object.entries(s.gossip).map(([topic, g]) => [
                topic,
                g.accepted,
                g.rejected,
                g.ignored,
                g.published,
              ])}
            />
            <Table
              caption={`evaluations by this node (${evaluated.length})`}
              head={['job', 'stage', 'result bundle']}
              rows={evaluated.map((j) => [
                <Hash value={j.jobId} href={href.job(j.jobId)} key="j" />,
                j.stage,
                <Hash value={j.resultBlob!} key="r" />,
              ])}
            />
            <Table
              caption={`refusals and failures (${refused.length})`}
              head={['job', 'stage', 'code', 'why']}
              rows={refused.map((j) => [
                <Hash value={j.jobId} href={href.job(j.jobId)} key="j" />,
                j.stage,
                j.refusal?.code ?? 'FAILED',
                j.refusal?.message ?? j.failReason ?? '',
              ])}
              empty="none so far"
            />
          </>
        )}
      </Loaded>
    </Section>
  )
}
