import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The rules of .dependency-cruiser.mjs (what `npm run lint:layers` checks), run against a small
// tree laid out like the repository: clean, it passes; each added file below breaks exactly the
// rules named beside it. So a rule that an edit of the config silently disarms fails here.

const CONFIG = new URL('../.dependency-cruiser.mjs', import.meta.url).href
const FOLDERS = ['bin', 'protocol', 'sandbox', 'consensus', 'node', 'devnet', 'test', 'web']

/** A tree that keeps every rule: each file imports what its folder may, the way it may. */
const CLEAN: Record<string, string> = {
  'protocol/index.ts': 'export const p = 1',
  'protocol/errors.ts': 'export class BaseError {}',
  'protocol/hex.ts': 'export const h = 1',
  'protocol/testing/fixture.ts': "export { p } from '../index.ts'",
  'sandbox/index.ts': "export { p } from '../protocol/index.ts'",
  'sandbox/vault/create.ts': "export { BaseError } from '../../protocol/errors.ts'",
  'sandbox/testing/fixture.ts': "export * from '../vault/create.ts'",
  'sandbox/bench/he.ts': "export * from '../testing/fixture.ts'",
  'consensus/index.ts': "export { BaseError } from '../protocol/errors.ts'",
  'node/storage/index.ts': "export { p } from '../../protocol/index.ts'",
  'node/sdk/index.ts': "export { p } from '../../protocol/index.ts'\nexport * from '../agent/index.ts'",
  'node/agent/index.ts': "export { BaseError } from '../../consensus/index.ts'",
  'node/jobs/ledger.ts': "export * from '../storage/index.ts'\nexport * from '../../sandbox/index.ts'",
  'node/jobs/ledger.test.ts': "export * from './ledger.ts'\nexport * from '../../sandbox/testing/fixture.ts'",
  'node/index.ts': "export * from './jobs/ledger.ts'\nexport * from './sdk/index.ts'",
  'node/cli/cli.ts': "export * from '../index.ts'",
  'devnet/cluster.ts': "export * from '../node/index.ts'",
  'devnet/chaos/run.ts': "export * from '../cluster.ts'\nexport * from '../../sandbox/testing/fixture.ts'",
  'devnet/testing/actors.ts':
    "export * from '../cluster.ts'\nexport * from '../../protocol/testing/fixture.ts'",
  'test/support/cli.ts':
    "export * from '../../devnet/testing/actors.ts'\nexport * from '../../sandbox/vault/create.ts'",
  'test/roles.test.ts': "export * from '../devnet/cluster.ts'\nexport * from './support/cli.ts'",
  'bin/tcf.ts': "export * from '../node/cli/cli.ts'",
  'sandbox/spec/index.ts': "export { p } from '../../protocol/index.ts'",
  'web/src/app.ts':
    "export * from '../../node/sdk/index.ts'\nexport * from '../../sandbox/spec/index.ts'\nexport * from './page.ts'",
  'web/src/page.ts': "export { p } from '../../protocol/index.ts'",
}

/**
 * One added file each, and the rules it must break (no more, no fewer). An import against the
 * layers that closes a loop in this tree breaks the cycle rule as well.
 */
const BREACHES: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  [
    'protocol/bad.ts',
    "export * from '../sandbox/index.ts'",
    ['layer-protocol', 'no-cycles-between-top-folders'],
  ],
  ['sandbox/bad.ts', "export * from '../consensus/index.ts'", ['layer-sandbox']],
  [
    'consensus/bad.ts',
    "export * from '../node/index.ts'",
    ['layer-consensus', 'no-cycles-between-top-folders'],
  ],
  [
    'node/bad.ts',
    "export * from '../devnet/cluster.ts'",
    ['layer-node', 'cross-folder-imports-use-index', 'no-cycles-between-top-folders'],
  ],
  [
    'devnet/bad.ts',
    "export * from '../test/roles.test.ts'",
    ['layer-devnet', 'cross-folder-imports-use-index', 'no-cycles-between-top-folders'],
  ],
  ['bin/bad.ts', "export * from '../node/index.ts'", ['layer-bin']],
  ['node/sdk/bad.ts', "export * from '../storage/index.ts'", ['client-roles-import-no-daemon-internals']],
  ['node/agent/bad.ts', "export * from '../index.ts'", ['client-roles-import-no-daemon-internals']],
  ['node/jobs/bad.ts', "export * from '../../sandbox/testing/fixture.ts'", ['product-imports-no-testing']],
  ['devnet/bad.ts', "export * from './chaos/run.ts'", ['product-imports-no-testing']],
  ['devnet/bad.ts', "export * from '../sandbox/vault/create.ts'", ['cross-folder-imports-use-index']],
  ['web/src/bad.ts', "export * from '../../node/index.ts'", ['layer-web', 'web-imports-browser-entries']],
  ['web/src/bad.ts', "export * from '../../sandbox/index.ts'", ['layer-web', 'web-imports-browser-entries']],
  [
    'web/src/bad.ts',
    "export * from '../../sandbox/vault/create.ts'",
    ['layer-web', 'web-imports-browser-entries'],
  ],
  ['web/src/bad.ts', "export * from '../../protocol/hex.ts'", ['web-imports-browser-entries']],
  [
    'protocol/bad.ts',
    "export * from '../web/src/page.ts'",
    ['layer-protocol', 'cross-folder-imports-use-index', 'no-cycles-between-top-folders'],
  ],
  [
    'node/jobs/bad.test.ts',
    "export * from '../../sandbox/vault/create.ts'",
    ['cross-folder-imports-use-index'],
  ],
]

let root: string
let config: IConfiguration

async function writeTree(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), `${text}\n`)
  }
}

/** The rule names of every error in the tree as it stands, sorted, each once. */
async function brokenRules(): Promise<string[]> {
  const { options = {}, forbidden = [] } = config
  // The real tree's known violations and tsconfig are not this tree's.
  const { knownViolations: _known, baseline: _baseline, tsConfig: _tsConfig, ...rest } = options
  const { output } = await cruise(FOLDERS, {
    ...rest,
    baseDir: root,
    validate: true,
    ruleSet: { forbidden },
  })
  const result = output as ICruiseResult
  const errors = result.summary.violations.filter((v) => v.rule.severity === 'error')
  return [...new Set(errors.map((v) => v.rule.name))].sort()
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tcf-layers-'))
  config = ((await import(CONFIG)) as { default: IConfiguration }).default
  await writeTree(CLEAN)
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('the layering rules', () => {
  it('pass a tree that keeps them, tests reaching internals included', async () => {
    expect(await brokenRules()).toEqual([])
  })

  it.each(BREACHES)('catch %s: %s', async (path, text, rules) => {
    await writeTree({ [path]: text })
    try {
      expect(await brokenRules()).toEqual([...rules].sort())
    } finally {
      await rm(join(root, path))
    }
  })
})
