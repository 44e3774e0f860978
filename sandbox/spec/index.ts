export { minQualityOf, reachesMinQuality } from './min-quality.ts'
export { parseSpec, parseSpecJson } from './parse.ts'
export {
  type AlgorithmSpec,
  AlgorithmSpecSchema,
  type Expect,
  OP_NAMES,
  type OpName,
  type OutputSpec,
  TERM_PATTERN,
} from './schema.ts'
