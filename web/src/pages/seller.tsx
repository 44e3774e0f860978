import { useState } from 'preact/hooks'
import type { Address, Hex32 } from '../../../protocol/index.ts'
import { jobsNewestFirst } from '../chain-data.ts'
import { Facts, Hash, Loaded, Section, Table } from '../components/ui.tsx'
import { eth } from '../format.ts'
import { client, usePoll } from '../node.ts'
import { href, type Route } from '../router.ts'
import { Budget } from './vaults.tsx'

const ADDRESS = /^0x[0-9a-f]{40}$/

/** The vaults the chain says `owner` owns, each with its budget and jobs, and what settlements paid the owner. */
async function sellerView(owner: Address) {
  const c = client()
  const [vaults, chain] = await Promise.all([c.vaults(), c.chain()])
  const owners = await Promise.all(vaults.map((v) => chain.vaults.vault(v.vaultId).then((r) => r.owner)))
  const mine = vaults.filter((_, i) => owners[i] === owner)
  return Promise.all(
    mine.map(async (v) => {
      const [budget, jobs] = await Promise.all([c.budget(v.vaultId), c.jobs({ vault: v.vaultId })])
      const earned = jobs.reduce(
        (sum, j) => (j.settlement?.owner?.address === owner ? sum + BigInt(j.settlement.owner.amount) : sum),
        0n,
      )
      return { vault: v, budget, jobs: jobsNewestFirst(jobs), earned }
    }),
  )
}

/** A seller's page: its vaults, the jobs run on them, what they earned, and the privacy budget left. */
export function SellerPage({ route }: { route: Route }) {
  const owner = route.query.get('owner')?.toLowerCase() ?? ''
  const [typed, setTyped] = useState(owner)
  return (
    <Section title="Seller">
      <form
        onSubmit={(e) => {
          e.preventDefault()
          location.hash = href.seller(typed.trim().toLowerCase())
        }}
      >
        <label>
          owner address (public: the vaults' on-chain owner)
          <input value={typed} onInput={(e) => setTyped(e.currentTarget.value)} placeholder="0x…" size={44} />
        </label>
        <button type="submit">show</button>
      </form>
      {ADDRESS.test(owner) ? <SellerVaults owner={owner as Address} /> : null}
    </Section>
  )
}

function SellerVaults({ owner }: { owner: Address }) {
  const polled = usePoll(() => sellerView(owner), 3000, [owner])
  return (
    <Loaded polled={polled}>
      {(vaults) =>
        vaults.length === 0 ? (
          <p class="muted">no vault on this node is owned by {owner} on chain</p>
        ) : (
          <>
            <Facts
              rows={[
                ['vaults', vaults.length],
                [
                  'earned in all',
                  <strong key="e" data-testid="earned">
                    {eth(vaults.reduce((a, v) => a + v.earned, 0n))}
                  </strong>,
                ],
                ['jobs', vaults.reduce((a, v) => a + v.jobs.length, 0)],
              ]}
            />
            {vaults.map(({ vault, budget, jobs, earned }) => (
              <article key={vault.vaultId} aria-label={`vault ${vault.vaultId}`}>
                <h3>
                  Vault <Hash value={vault.vaultId} href={href.vault(vault.vaultId)} />
                </h3>
                <Facts
                  rows={[
                    ['records', vault.recordCount],
                    ['price', eth(vault.policy.price)],
                    ['earned', eth(earned)],
                  ]}
                />
                <Budget budget={budget} />
                <Table
                  caption="jobs on it"
                  head={['job', 'stage', 'buyer', 'paid to the owner']}
                  rows={jobs.map((j) => [
                    <Hash value={j.jobId} href={href.job(j.jobId as Hex32)} key="j" />,
                    j.stage,
                    <Hash value={j.request.request.buyer} key="b" />,
                    j.settlement?.owner
                      ? eth(j.settlement.owner.amount)
                      : j.settlement?.status === 'refunded'
                        ? 'refunded'
                        : '–',
                  ])}
                />
              </article>
            ))}
          </>
        )
      }
    </Loaded>
  )
}
