/**
 * The V8 flags a tcf process runs with: `bin/tcf.ts`'s shebang, `npm run tcf`, the container image's
 * NODE_OPTIONS and the devnets' spawns all pass these (checked by runtime-flags.test.ts).
 *
 * `--max-semi-space-size=32`: V8 grows each of the young generation's two semi-spaces to 64 MB on
 * this Node by default. A validator allocates much that dies young (decoded messages, records,
 * JSON) and shares the cores with other processes; with young semi-spaces of 32 MB a devnet burst
 * took ~10% less CPU a job in all (141 against 158 ms, the means of 10 and 11 alternated runs;
 * docs/devnet.md, fourteenth pass). 16 MB did not help.
 */
export const NODE_RUNTIME_FLAGS = ['--max-semi-space-size=32'] as const
