import { TcfError } from '../../protocol/errors.ts'

/** A benchmark's own cross-check failed: the figures it would print are not of the work it claims. */
export class BenchSelfCheckError extends TcfError {
  readonly code = 'BENCH_SELF_CHECK'
}
