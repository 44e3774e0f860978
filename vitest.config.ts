import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'
import { LongestFirstSequencer } from './test/support/sequencer.ts'

// Unit tests sit beside the code they test; test/ holds the cross-module
// integration, e2e and chaos suites. Forks (not threads) because SEAL, LevelDB
// and libp2p own native or WASM state that is happiest one process per file.

/**
 * The test/ files that start no daemon, devnet, cluster or container: each runs in its own
 * process like a unit file (an in-process node, an anvil dev chain, chromium against an in-process
 * server), so they share the unit group's two workers instead of holding the serial group, where
 * one of the two cores sat idle under them.
 */
const IN_PROCESS = [
  'test/attacks/**/*.test.ts',
  'test/support/**/*.test.ts',
  'test/api-contract.test.ts',
  'test/cli.test.ts',
  'test/client-imports.test.ts',
  'test/dkg-complaint.test.ts',
  'test/dkg-resend-attack.test.ts',
  'test/layers.test.ts',
  'test/pool-payouts.test.ts',
  'test/threshold-release.test.ts',
  'test/web-contribute.test.ts',
]

// Node's on-disk compile cache (type-stripped TypeScript and V8 code) for every process the suite
// starts: test workers, and the daemons, CLI calls and anvil dev chains they spawn inherit it. The
// suite starts a few hundred processes that load the same modules; with it a 4-node cluster starts
// on about 4 CPU-seconds less. Node checks each entry against its module's source, so a cache left
// by an older checkout is never used for changed code. Set before any worker is forked.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'tcf-node-compile-cache')

export default defineConfig({
  test: {
    pool: 'forks',
    // The epoch committee's DKG (threshold mode) costs every daemon a minute of gossip and BigInt
    // maths at start. Tests that do not use a committee key run without it; the ones that do set
    // TCF_DKG=true for their nodes (test/dkg.test.ts) or give the nodes a key.
    env: { TCF_DKG: 'false' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Longest first within each group, also on a fresh clone (CI) where vitest has no timings.
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{protocol,sandbox,consensus,node,devnet,bin}/**/*.test.ts'],
          // Vitest's default is one worker per core but one, which on a 2-core CI machine runs every
          // file in turn. Unit files each hold one core (SEAL, BigInt maths) and pick free ports, so
          // they take every core, before the integration files start (groupOrder).
          maxWorkers: availableParallelism(),
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'in-process',
          include: IN_PROCESS,
          // With the unit files (same group, same workers): each holds one core and picks free ports.
          maxWorkers: availableParallelism(),
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: IN_PROCESS,
          // One file at a time: a file's four or five daemons already load every core (their
          // timeouts assume it), and some use the devnet's fixed ports.
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          // A directory for this run, where a file leaves what the next can reuse (a seeded committee).
          globalSetup: ['test/support/run-cache.ts'],
        },
      },
    ],
  },
})
