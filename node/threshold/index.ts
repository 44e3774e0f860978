// The public surface of node/threshold: the committee's keys as this node holds them.
export { ThresholdNodeError, type ThresholdNodeErrorCode } from './errors.ts'
export {
  type CommitteeKeyRecord,
  committeeKeyRecordSchema,
  createKeyring,
  type HeldShare,
  heldShareSchema,
  type Keyring,
} from './keyring.ts'
