/**
 * The V8 flags a tcf process runs with: `bin/tcf.ts`'s shebang, `npm run tcf`, the container image's
 * NODE_OPTIONS and the devnets' spawns all pass these (checked by runtime-flags.test.ts).
 *
 * `--max-semi-space-size=32`: V8 grows each of the young generation's two semi-spaces to 64 MB on
 * this Node by default. A validator allocates much that dies young (decoded messages, records,
 * JSON) and shares the cores with other processes; young semi-spaces of 32 MB cost 8-14% less CPU
 * a job in a devnet burst (docs/devnet.md, fourteenth pass), most likely because the allocation
 * area stays closer to the caches.
 */
export const NODE_RUNTIME_FLAGS = ['--max-semi-space-size=32'] as const
