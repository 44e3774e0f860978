import { TcfError } from '../../protocol/errors.ts'
export type SimulationErrorCode =
  | 'invalid-config'
  | 'broken-driver-assumption'
  /** a fault-free benchmark run broke an invariant: its numbers would mean nothing */
  | 'bench-run-failed'

/** A bad simulation config, or a bug in the simulator itself (never a consensus violation: those are reported). */
export class SimulationError extends TcfError {
  readonly code: SimulationErrorCode

  constructor(code: SimulationErrorCode, message: string) {
    super(message)
    this.name = 'SimulationError'
    this.code = code
  }
}
