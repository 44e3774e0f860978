import type { Hex32 } from '../../../protocol/index.ts'
import { jobsNewestFirst } from '../chain-data.ts'
import { Facts, Hash, Loaded, Section, Table } from '../components/ui.tsx'
import { eth, fixed } from '../format.ts'
import { client, usePoll } from '../node.ts'
import { href } from '../router.ts'

const REFRESH_MS = 3000

export function VaultsPage() {
  const polled = usePoll(() => client().vaults(), REFRESH_MS, [])
  return (
    <Section title="Vaults">
      <Loaded polled={polled}>
        {(vaults) => (
          <Table
            caption="vaults this node holds"
            head={['vault', 'records', 'columns', 'price', 'epsilon per job', '']}
            rows={vaults.map((v) => [
              <Hash value={v.vaultId} href={href.vault(v.vaultId)} key="v" />,
              v.recordCount,
              v.columns.join(', '),
              eth(v.policy.price),
              v.policy.privacy?.maxEpsilonPerJob ?? '',
              <a href={href.buyer(v.vaultId)} key="b">
                buy
              </a>,
            ])}
          />
        )}
      </Loaded>
    </Section>
  )
}

async function vaultView(vaultId: Hex32) {
  const c = client()
  const [manifest, budget, jobs] = await Promise.all([
    c.vault(vaultId),
    c.budget(vaultId),
    c.jobs({ vault: vaultId }),
  ])
  return { manifest, budget, jobs: jobsNewestFirst(jobs) }
}

/** A vault: its schema, policy, price and privacy budget (spent and left), and the jobs run on it. */
export function VaultPage({ vaultId }: { vaultId: Hex32 }) {
  const polled = usePoll(() => vaultView(vaultId), REFRESH_MS, [vaultId])
  return (
    <Section title="Vault">
      <p>
        <Hash value={vaultId} /> · <a href={href.buyer(vaultId)}>compose a job on it</a>
      </p>
      <Loaded polled={polled}>
        {({ manifest, budget, jobs }) => (
          <>
            <Facts
              rows={[
                ['records', manifest.recordCount],
                ['HE profile', manifest.profile],
                ['price', eth(manifest.policy.price)],
                ['smallest group released', manifest.policy.minAggregation],
                ['operations allowed', manifest.policy.allowedOps.join(', ')],
              ]}
            />
            <h3>Privacy budget</h3>
            <Budget budget={budget} />
            <Table
              caption="schema"
              head={['column', 'type', 'range or categories', 'nullable']}
              rows={manifest.schema.columns.map((col) => [
                col.name,
                col.type,
                columnDomain(col),
                col.nullable ? 'yes' : '',
              ])}
            />
            <Table
              caption="jobs on this vault"
              head={['job', 'stage', 'submitted']}
              rows={jobs.map((j) => [
                <Hash value={j.jobId} href={href.job(j.jobId)} key="j" />,
                j.stage,
                j.stages.pending ?? '',
              ])}
            />
          </>
        )}
      </Loaded>
    </Section>
  )
}

export function Budget({ budget }: { budget: Awaited<ReturnType<ReturnType<typeof client>['budget']>> }) {
  return (
    <>
      <meter
        min={0}
        max={budget.epsilon}
        value={budget.spent}
        low={budget.epsilon * 0.5}
        high={budget.epsilon * 0.8}
        optimum={0}
        aria-label="privacy budget spent"
      />
      <Facts
        rows={[
          [
            'epsilon spent',
            <span key="s" data-testid="budget-spent">
              {fixed(budget.spent)}
            </span>,
          ],
          [
            'epsilon left',
            <span key="l" data-testid="budget-left">
              {fixed(budget.remaining)}
            </span>,
          ],
          ['of', `${budget.epsilon} per ${budget.unit}, at most ${budget.maxEpsilonPerJob} per job`],
          ['jobs charged', budget.jobs],
          ['at height', budget.height],
        ]}
      />
    </>
  )
}

type Column = Awaited<ReturnType<ReturnType<typeof client>['vault']>>['schema']['columns'][number]

/** What values a column holds, as its schema declares them. */
export function columnDomain(col: Column): string {
  switch (col.type) {
    case 'number':
    case 'integer':
      return `${col.min} … ${col.max}`
    case 'categorical':
      return col.categories.join(', ')
    case 'bucketed':
      return `buckets at ${col.edges.join(', ')}`
    case 'boolean':
      return 'true, false'
  }
}
