import type { Hex32 } from '../../protocol/index.ts'
import { BlockPage, BlocksPage } from './pages/blocks.tsx'
import { BuyerPage } from './pages/buyer.tsx'
import { ContributePage } from './pages/contribute.tsx'
import { HomePage, JobsPanel } from './pages/home.tsx'
import { JobPage } from './pages/job.tsx'
import { HealthPanel, ValidatorsPage } from './pages/network.tsx'
import { OperatorPage } from './pages/operator.tsx'
import { SellerPage } from './pages/seller.tsx'
import { VaultPage, VaultsPage } from './pages/vaults.tsx'
import { href, type Route, useRoute } from './router.ts'

const HEX32 = /^0x[0-9a-f]{64}$/

const NAV: readonly (readonly [string, string, string])[] = [
  ['', href.home(), 'Explorer'],
  ['blocks', href.blocks(), 'Blocks'],
  ['jobs', href.jobs(), 'Jobs'],
  ['vaults', href.vaults(), 'Vaults'],
  ['validators', href.validators(), 'Validators'],
  ['buyer', href.buyer(), 'Buy'],
  ['seller', href.seller(), 'Sell'],
  ['contribute', href.contribute(), 'Contribute'],
  ['operator', href.operator(), 'Operate'],
]

function Page({ route }: { route: Route }) {
  const [page = '', arg = ''] = route.parts
  switch (page) {
    case '':
      return <HomePage />
    case 'blocks':
      return <BlocksPage count={50} />
    case 'block':
      return /^[1-9][0-9]*$/.test(arg) ? (
        <BlockPage height={Number(arg)} />
      ) : (
        <NotFound what={`block ${arg}`} />
      )
    case 'jobs':
      return <JobsPanel />
    case 'job':
      return HEX32.test(arg) ? <JobPage jobId={arg as Hex32} /> : <NotFound what={`job ${arg}`} />
    case 'vaults':
      return <VaultsPage />
    case 'vault':
      return HEX32.test(arg) ? <VaultPage vaultId={arg as Hex32} /> : <NotFound what={`vault ${arg}`} />
    case 'validators':
      return (
        <>
          <ValidatorsPage />
          <HealthPanel />
        </>
      )
    case 'buyer':
      return <BuyerPage route={route} />
    case 'seller':
      return <SellerPage route={route} />
    case 'operator':
      return <OperatorPage />
    case 'contribute':
      return <ContributePage />
    default:
      return <NotFound what={`page ${page}`} />
  }
}

function NotFound({ what }: { what: string }) {
  return (
    <p class="error" role="alert">
      no {what}: a job or vault is 0x and 64 lowercase hex digits, a block a positive height
    </p>
  )
}

export function App() {
  const route = useRoute()
  const current = route.parts[0] ?? ''
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        skip to content
      </button>
      <header>
        <a class="brand" href={href.home()}>
          tcf
        </a>
        <nav aria-label="pages">
          <ul>
            {NAV.map(([key, link, label]) => (
              <li key={key}>
                <a
                  href={link}
                  aria-current={
                    current === key || (key === 'blocks' && current === 'block') ? 'page' : undefined
                  }
                >
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  )
}
