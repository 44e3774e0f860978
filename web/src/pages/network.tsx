import { useRef } from 'preact/hooks'
import type { Address } from '../../../protocol/index.ts'
import { recentBlocks } from '../chain-data.ts'
import { Line } from '../components/chart.tsx'
import { Facts, Hash, Loaded, Section, Table } from '../components/ui.tsx'
import { eth, seconds } from '../format.ts'
import { client, usePoll } from '../node.ts'

/** How many recent blocks the validator statistics look back over. */
const WINDOW = 50

async function validatorsView() {
  const c = client()
  const status = await c.status()
  const [blocks, chain] = await Promise.all([recentBlocks(status.height, WINDOW), c.chain()])
  const stakes = await Promise.all(
    status.validators.map((v) => chain.validators.validator(v.address as Address).then((r) => r.stake)),
  )
  const totalPower = status.validators.reduce((a, v) => a + v.power, 0)
  return {
    status,
    window: blocks.length,
    rows: status.validators.map((v, i) => {
      const signed = blocks.filter((b) => b.certificate.precommits.some((p) => p.validator === v.address))
      return {
        address: v.address,
        power: v.power,
        share: v.power / totalPower,
        stake: stakes[i]!,
        signed: signed.length,
        proposed: blocks.filter((b) => b.block.proposer === v.address).length,
        lastSeen: signed[0]?.block.height,
      }
    }),
  }
}

/** The validator set: stake on chain, voting power, and from recent commit certificates, last seen and blocks signed. */
export function ValidatorsPage() {
  const polled = usePoll(validatorsView, 3000, [])
  return (
    <Section title="Validators">
      <Loaded polled={polled}>
        {({ status, window, rows }) => (
          <Table
            caption={`epoch ${status.epoch}; signed and proposed over the last ${window} blocks`}
            head={[
              'validator',
              'stake',
              'voting power',
              'share',
              'signed blocks',
              'proposed',
              'last seen at height',
            ]}
            rows={rows.map((r) => [
              <Hash value={r.address} key="a" />,
              eth(r.stake),
              r.power,
              `${(r.share * 100).toFixed(1)}%`,
              `${r.signed} / ${window}`,
              r.proposed,
              r.lastSeen ?? '–',
            ])}
          />
        )}
      </Loaded>
    </Section>
  )
}

interface Sample {
  readonly t: number
  readonly height: number
}

/** Height, peers and block time, the block time measured by this page from the heights it saw. */
export function HealthPanel() {
  const samples = useRef<Sample[]>([])
  const polled = usePoll(
    async () => {
      const status = await client().status()
      const list = samples.current
      if (list.at(-1)?.height !== status.height) list.push({ t: Date.now(), height: status.height })
      if (list.length > 300) list.shift()
      return { status, samples: [...list] }
    },
    1000,
    [],
  )
  return (
    <Section title="Network health">
      <Loaded polled={polled}>
        {({ status, samples: seen }) => {
          const first = seen[0]
          const last = seen.at(-1)
          const blockMs =
            first && last && last.height > first.height
              ? (last.t - first.t) / (last.height - first.height)
              : undefined
          return (
            <>
              <Facts
                rows={[
                  [
                    'height',
                    <strong key="h" data-testid="height">
                      {status.height}
                    </strong>,
                  ],
                  ['peers', status.peers.length],
                  ['validators', status.validators.length],
                  ['epoch', status.epoch],
                  [
                    'block time',
                    blockMs === undefined ? 'measuring…' : `${seconds(blockMs)} (seen by this page)`,
                  ],
                  ['chain', `id ${status.chain.chainId}`],
                  ['node', <Hash value={status.address} key="a" />],
                  ['version', status.version],
                ]}
              />
              <Line
                label="decided height over time"
                xs={seen.map((s) => (s.t - (first?.t ?? 0)) / 1000)}
                ys={seen.map((s) => s.height)}
                xLabel="seconds since this page opened"
                yLabel="height"
              />
            </>
          )
        }}
      </Loaded>
    </Section>
  )
}
