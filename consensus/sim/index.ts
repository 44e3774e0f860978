export { conflictingMessage, forgetLock } from './byzantine.ts'
export { SimulationError, type SimulationErrorCode } from './errors.ts'
export { EventQueue } from './event-queue.ts'
export { InvariantChecker, type Violation, type ViolationKind } from './invariants.ts'
export { MemoryWal } from './memory-wal.ts'
export { Prng } from './prng.ts'
export { replayCommand } from './replay.ts'
export {
  BYZANTINE_BEHAVIOURS,
  type ByzantineBehaviour,
  FAULT_CLASSES,
  type FaultClass,
  maxFaulty,
  type Scenario,
  type SimConfig,
} from './scenario.ts'
export { type SimKey, SimSigner, SimVerifier, simKey } from './sim-crypto.ts'
export {
  type HeightStats,
  roundsBoundAfterGst,
  runSimulation,
  type SimResult,
} from './simulation.ts'
