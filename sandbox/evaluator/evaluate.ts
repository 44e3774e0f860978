import type { Ciphertext, ParmsIdType } from 'node-seal'
import type { Circuit } from '../compiler/circuit.ts'
import { EvaluationError, SandboxError } from '../errors.ts'
import type { EvaluationKeys } from '../he/keys.ts'
import { rotateAndSumSteps } from '../he/profiles.ts'
import type { HeContext } from '../he/seal.ts'
import { canonicalBytes, describe, loadCiphertext } from '../he/serialize.ts'

export interface EvaluationInput {
  readonly circuit: Circuit
  /** stored column name -> blob ids of its chunks */
  readonly columns: ReadonlyMap<string, readonly string[]>
  readonly chunkCount: number
  /** the bytes of a ciphertext blob (wire or expanded form) */
  readonly readBlob: (id: string) => Uint8Array
  /** called between chunks; throws to abort (memory cap) */
  readonly checkpoint?: () => void
}

/**
 * Evaluates a circuit: for each chunk, each stat's product tree, summed
 * slot-wise across chunks; then per stat one relinearization and rescale,
 * a switch down to the stat's result level and a rotate-and-sum. SEAL is
 * single-threaded exact integer arithmetic, so the canonical bytes returned
 * are identical on every node. Every SEAL object made here is freed.
 */
export function evaluateCircuit(ctx: HeContext, keys: EvaluationKeys, input: EvaluationInput): Uint8Array[] {
  const { circuit } = input
  const { evaluator } = ctx
  const accumulators: Array<Ciphertext | undefined> = circuit.stats.map(() => undefined)
  const levels = parmsIdsByLevel(ctx)
  try {
    for (let chunk = 0; chunk < input.chunkCount; chunk++) {
      const loaded = new Map<string, Ciphertext>()
      try {
        for (const stat of circuit.stats) {
          for (const factor of stat.factors) {
            if (loaded.has(factor)) continue
            const id = input.columns.get(factor)?.[chunk]
            if (id === undefined)
              throw new SandboxError('BLOB_MISSING', `no chunk ${chunk} for column ${factor}`)
            loaded.set(factor, loadCiphertext(ctx, input.readBlob(id), `${factor}[${chunk}]`))
          }
        }
        circuit.stats.forEach((stat, i) => {
          const leaves = stat.factors.map((f) => loaded.get(f)!)
          const acc = accumulators[i]
          if (leaves.length === 1) {
            if (acc) evaluator.addInplace(acc, leaves[0]!)
            else accumulators[i] = leaves[0]!.copy()
            return
          }
          const product = productTree(ctx, keys, leaves, true)
          if (acc) {
            evaluator.addInplace(acc, product)
            product.delete()
          } else {
            accumulators[i] = product
          }
        })
      } finally {
        for (const ct of loaded.values()) ct.delete()
      }
      input.checkpoint?.()
    }
    const steps = rotateAndSumSteps(ctx.profile.slotCount)
    return circuit.stats.map((stat, i) => {
      const acc = accumulators[i]
      if (!acc) throw new SandboxError('BLOB_MISSING', 'the vault has no chunks to aggregate')
      if (acc.size() > 2) {
        evaluator.relinearizeInplace(acc, keys.relinKeys)
        evaluator.rescaleToNextInplace(acc)
      }
      const target = levels[stat.resultLevel - 1]
      if (!target)
        throw new EvaluationError('RESULT_INVALID', `stat ${stat.key} has no level ${stat.resultLevel}`)
      evaluator.cipherModSwitchToInplace(acc, target)
      const rotated = new ctx.seal.Ciphertext()
      try {
        for (const step of steps) {
          evaluator.rotateVector(acc, step, keys.galoisKeys, rotated)
          evaluator.addInplace(acc, rotated)
        }
      } finally {
        rotated.delete()
      }
      if (acc.isTransparent()) {
        throw new SandboxError(
          'TRANSPARENT_RESULT',
          `Σ ${stat.key} is transparent: it would reveal its value without the key`,
        )
      }
      input.checkpoint?.()
      return canonicalBytes(ctx, acc)
    })
  } catch (e) {
    if (e instanceof SandboxError) throw e
    // node-seal's throwing build raises on transparent results; anything else is a SEAL failure on the inputs.
    const message = describe(e, ctx.seal)
    if (/transparent/i.test(message)) {
      throw new SandboxError('TRANSPARENT_RESULT', `SEAL refused a transparent result: ${message}`, {
        cause: e,
      })
    }
    throw new SandboxError('CIPHERTEXT_INVALID', `SEAL failed on the vault's ciphertexts: ${message}`, {
      cause: e,
    })
  } finally {
    for (const acc of accumulators) acc?.delete()
  }
}

/**
 * The product of the leaves as a balanced tree (depth ceil(log2 n)). Inner
 * nodes are relinearized and rescaled; the root is left at size 3 so that
 * chunks can be summed first and relinearized once.
 */
function productTree(
  ctx: HeContext,
  keys: EvaluationKeys,
  leaves: readonly Ciphertext[],
  root: boolean,
): Ciphertext {
  // copy(), not clone(): an embind clone is a second handle to the same object.
  if (leaves.length === 1) return leaves[0]!.copy()
  const mid = Math.ceil(leaves.length / 2)
  const left = productTree(ctx, keys, leaves.slice(0, mid), false)
  const right = productTree(ctx, keys, leaves.slice(mid), false)
  try {
    const { evaluator } = ctx
    // Operands from subtrees of different depth sit at different levels.
    const lc = left.coeffModulusSize()
    const rc = right.coeffModulusSize()
    if (lc > rc) evaluator.cipherModSwitchToInplace(left, right.parmsId())
    else if (rc > lc) evaluator.cipherModSwitchToInplace(right, left.parmsId())
    const out = new ctx.seal.Ciphertext()
    evaluator.multiply(left, right, out)
    if (!root) {
      evaluator.relinearizeInplace(out, keys.relinKeys)
      evaluator.rescaleToNextInplace(out)
    }
    return out
  } finally {
    left.delete()
    right.delete()
  }
}

/** parms ids indexed by level - 1, where a level is the number of data primes kept. */
function parmsIdsByLevel(ctx: HeContext): ParmsIdType[] {
  const ids: ParmsIdType[] = []
  let data = ctx.context.firstContextData()
  for (;;) {
    ids.unshift(data.parmsId())
    if (data.chainIndex() === 0) break
    data = data.nextContextData()
  }
  return ids
}
