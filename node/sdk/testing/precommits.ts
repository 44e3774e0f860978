import {
  createEip712ConsensusSigner,
  type Eip712Domain,
  type Hex32,
  type ValidatorSignature,
} from '../../../protocol/index.ts'

/** Round-0 precommits of block `hash` at `height`, each signed by one of `keys` (tests of certificate checks). */
export function precommitsFor(
  keys: readonly Hex32[],
  at: {
    readonly domain: Eip712Domain
    readonly epoch: number
    readonly height: number
    readonly hash: Hex32
  },
): ValidatorSignature[] {
  return keys.map((privateKey) => {
    const signer = createEip712ConsensusSigner({ privateKey, domain: at.domain, epoch: at.epoch })
    const vote = {
      type: 'precommit' as const,
      height: at.height,
      round: 0,
      valueId: at.hash,
      validator: signer.address,
    }
    return { validator: signer.address, signature: signer.signVote(vote).signature }
  })
}
