/** Prints the regression vault's result hash computed in this process: the cross-process half of the determinism test. */
import { regressionResultHash } from './regression.ts'

console.log(await regressionResultHash())
