// The layering of docs/architecture.md, checked by `npm run lint:layers` (part of `npm test`).
//
//   protocol ← sandbox ← node ← devnet      an arrow reads "may be imported by";
//   protocol ← consensus ← node             test/ may import every folder
//   node/cli ← bin
//   protocol, node/sdk, sandbox/spec ← web  (the browser app: no daemon, no files, no threads)
//
// Paths are relative to the repository root, as dependency-cruiser reports them.

/** Code that exists to test: unit tests beside the code, test/, and the testing/ folders of fixtures. */
const TEST_CODE = '(^test/|\\.test\\.ts$|(^|/)testing/)'
/**
 * Harnesses that measure the product rather than ship in it (the benchmarks and the chaos runs):
 * like tests they may load testing/ fixtures, and like product code they keep every other rule.
 */
const HARNESS = [
  '^sandbox/bench/',
  '^protocol/scripts/bench[A-Z][^/]*\\.ts$',
  '^consensus/sim/bench\\.ts$',
  '^devnet/bench\\.ts$',
  '^devnet/chaos/',
]
const PRODUCT_FOLDERS = '(protocol|sandbox|consensus|node|devnet)'
const ALL_FOLDERS = '(protocol|sandbox|consensus|node|devnet|test|bin|web)'
/** The client roles run on a buyer's or seller's machine, never inside a validator. */
const CLIENT_ROLES = '^node/(sdk|agent|contributor)/'
/**
 * Public entry points besides the index.ts files. protocol/index.ts loads ethers and the contract
 * clients (about a second of CPU), which the container healthcheck (bin/tcf-health.ts, every few
 * seconds on every validator), the pure consensus core and the HE runtime's worker threads must not
 * pay for. protocol/errors.ts holds TcfError, the base every folder's errors extend;
 * protocol/vocabulary.ts the hex, hash, blob-id and manifest vocabulary, chain clients left out.
 */
const LIGHT_ENTRIES = ['^protocol/errors\\.ts$', '^protocol/vocabulary\\.ts$']

/** What each top-level folder may import besides itself, and why. test/ may import every folder. */
const LAYERS = {
  protocol: { may: [], why: 'protocol/ holds what every other folder shares (wire types, contracts).' },
  sandbox: { may: ['protocol'], why: 'The homomorphic runtime knows nothing of consensus or the daemon.' },
  consensus: { may: ['protocol'], why: 'The Tendermint core is pure: no sandbox, no daemon.' },
  node: { may: ['protocol', 'sandbox', 'consensus'], why: 'node/ wires the layers below it together.' },
  devnet: {
    may: ['protocol', 'sandbox', 'consensus', 'node'],
    why: 'Helpers the devnet shares with test/ live in devnet/testing/, so test/ stays on top.',
  },
  bin: { may: ['node/cli'], why: 'Entry points; what they run lives in node/cli/, the composition root.' },
  web: {
    may: ['protocol', 'node/sdk', 'sandbox/spec', 'sandbox/contribution'],
    why: "The web app runs in a browser: the API contract, the SDK, the spec language and a contributor's encryption, nothing of the daemon.",
  },
}

/**
 * What the web app may name in those folders: their public entries, and the committed contract ABIs
 * its bundle carries in place of protocol/chain/artifacts.ts (web/vite.config.ts). Everything else
 * they re-export reaches the browser only if the app uses it, and the bundler leaves the rest out.
 */
const WEB_ENTRIES = [
  '^protocol/index\\.ts$',
  '^protocol/errors\\.ts$',
  '^protocol/contracts/artifacts/[A-Za-z]+\\.json$',
  '^protocol/chain/compile\\.ts$',
  '^node/sdk/index\\.ts$',
  '^sandbox/spec/index\\.ts$',
  '^sandbox/contribution/browser\\.ts$',
]

/**
 * The table must stay a hierarchy: while it has no cycle, no two top-level folders can import each
 * other without breaking a layer rule, whatever path the imports take through their subfolders.
 */
function assertHierarchy(folder, above = []) {
  if (above.includes(folder)) throw new Error(`LAYERS has a cycle: ${[...above, folder].join(' → ')}`)
  for (const below of LAYERS[folder]?.may ?? []) assertHierarchy(below.split('/')[0], [...above, folder])
}
for (const folder of Object.keys(LAYERS)) assertHierarchy(folder)

/** One layer's rule: no import of another top-level folder that LAYERS does not list for it. */
function layerRule([folder, { may, why }]) {
  return {
    name: `layer-${folder}`,
    comment: `${folder}/ imports ${may.length === 0 ? 'no other folder' : may.join(', ')}. ${why}`,
    severity: 'error',
    from: { path: `^${folder}/` },
    to: { path: `^${ALL_FOLDERS}/`, pathNot: [folder, ...may].map((allowed) => `^${allowed}/`) },
  }
}

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...Object.entries(LAYERS).map(layerRule),
    {
      name: 'client-roles-import-no-daemon-internals',
      comment:
        'The SDK, the vault agent and the contributor client run outside a validator: they import protocol/, sandbox/, consensus/ and each other only.',
      severity: 'error',
      from: { path: CLIENT_ROLES, pathNot: TEST_CODE },
      to: { path: '^node/', pathNot: CLIENT_ROLES },
    },
    {
      name: 'product-imports-no-testing',
      comment:
        'Fixtures and test helpers (testing/ folders) serve tests and harnesses, never shipped code; nor does a harness, which may load them.',
      severity: 'error',
      from: { path: `^${PRODUCT_FOLDERS}/`, pathNot: [TEST_CODE, ...HARNESS] },
      to: { path: ['(^|/)testing/', ...HARNESS] },
    },
    {
      name: 'cross-folder-imports-use-index',
      comment:
        "A top-level folder's public surface is its index.ts. Tests beside the code reach their own folder freely and other folders' testing/ helpers; test/ may reach any internals; bin/ enters node/cli/ directly, so a command loads only what it runs.",
      severity: 'error',
      from: { path: `^${PRODUCT_FOLDERS}/` },
      to: {
        path: `^${ALL_FOLDERS}/`,
        pathNot: ['^$1/', `^${PRODUCT_FOLDERS}/index\\.ts$`, '(^|/)testing/', ...LIGHT_ENTRIES],
      },
    },
    {
      name: 'web-imports-browser-entries',
      comment:
        'The web app enters the shared folders through their public entries only (and the contract ABIs it bundles).',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: `^${ALL_FOLDERS}/`, pathNot: ['^web/', ...WEB_ENTRIES] },
    },
    {
      name: 'no-cycles-between-top-folders',
      comment:
        'Two top-level folders that import each other are one folder in disguise (cycles within one folder are its own affair). Named here for the message; the layer rules already forbid every such cycle.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^([^/]+)' },
      to: { circular: true, pathNot: '^$1(/|$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(artifacts|cache)/' },
    // A type-only import couples two modules as much as a value import does.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // libp2p and its kin publish only an "import" condition.
    enhancedResolveOptions: { conditionNames: ['import', 'require', 'node', 'default'] },
  },
}
