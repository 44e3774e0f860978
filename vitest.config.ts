import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

// Unit tests sit beside the code they test; test/ holds the cross-module
// integration, e2e and chaos suites. Forks (not threads) because SEAL, LevelDB
// and libp2p own native or WASM state that is happiest one process per file.
export default defineConfig({
  test: {
    pool: 'forks',
    // The epoch committee's DKG (threshold mode) costs every daemon a minute of gossip and BigInt
    // maths at start. Tests that do not use a committee key run without it; the ones that do set
    // TCF_DKG=true for their nodes (test/dkg.test.ts) or give the nodes a key.
    env: { TCF_DKG: 'false' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
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
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // One file at a time: a file's four or five daemons already load every core (their
          // timeouts assume it), and some use the devnet's fixed ports.
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
