import { z } from 'zod'
import { blobIdOf, canonicalBytes, type Hex32 } from '../../protocol/vocabulary.ts'
import type { Circuit } from '../compiler/circuit.ts'
import { isProfileName, PROFILES, type ProfileName } from '../he/profiles.ts'
import { storedColumns } from '../vault/layout.ts'
import { type VaultSchema, VaultSchemaSchema } from '../vault/schema.ts'
import { ContributionError } from './errors.ts'
import { CONTRIBUTORS, gatesOf } from './gates.ts'

export { CONTRIBUTORS, contributorsOf } from './gates.ts'

/**
 * How a pool's contributions fill their slots. Slot i of a contribution
 * holds Σ over the contributor's records of the product of monomial i's
 * stored columns (the one-hot cells, masks and normalized values of
 * sandbox/vault/layout.ts), which the contributor computes in plaintext
 * from its own records. Summing contributions slot-wise then gives, in
 * slot i, the pool's total of monomial i: the stat of the same key a
 * compiled circuit asks for, with no multiplication, relinearization or
 * rotation left to the network.
 */
export interface PoolLayout {
  readonly version: 1
  readonly profile: ProfileName
  readonly schema: VaultSchema
  /**
   * each slot's monomial: stored column names, sorted, joined by `*` (a
   * circuit stat's key); or `contributors:` and a 0/1 monomial, which counts
   * the contributions with at least one record in it, not the records (so
   * at least total / K contributors, K the most any one of them sent)
   */
  readonly monomials: readonly string[]
  /** the most records one contribution holds: each of its slots is within ±maxRecords */
  readonly maxRecords: number
  /**
   * log2 of the encoding scale. Below the profile's, an aggregate holds
   * twice the record-slots per bit (capacityOf) and a decryption's noise,
   * threshold smudging above all, weighs twice as much per bit.
   */
  readonly scaleBits: number
}

export interface PoolLayoutInput {
  readonly profile: ProfileName
  readonly schema: VaultSchema
  /** monomials as stat keys (`cell=c1*hour=[6,10)`) or factor lists */
  readonly monomials: Iterable<string | readonly string[]>
  readonly maxRecords: number
  /** defaults to the profile's scale */
  readonly scaleBits?: number
}

/** The least scale a layout may use: 2^-20 resolution per slot before any noise. */
const MIN_SCALE_BITS = 20

/** Checks and normalizes a layout: every factor a stored column of the schema, no monomial twice, one ciphertext's slots. */
export function poolLayout(input: PoolLayoutInput): PoolLayout {
  const profile = PROFILES[input.profile]
  if (!profile) throw new ContributionError('LAYOUT_INVALID', 'profile', `unknown profile ${input.profile}`)
  const stored = new Map(storedColumns(input.schema).map((c) => [c.name, c]))
  const types = new Map(input.schema.columns.map((c) => [c.name, c.type]))
  const monomials: string[] = []
  const seen = new Set<string>()
  for (const m of input.monomials) {
    const counted = typeof m === 'string' && m.startsWith(CONTRIBUTORS)
    const factors = typeof m === 'string' ? m.slice(counted ? CONTRIBUTORS.length : 0).split('*') : [...m]
    const field = `monomials.${monomials.length}`
    const unknown = factors.find((f) => !stored.has(f))
    if (factors.length === 0 || unknown !== undefined) {
      throw new ContributionError(
        'LAYOUT_INVALID',
        field,
        `"${unknown ?? ''}" is not a stored column of the pool schema`,
      )
    }
    // "At least one record in it" is a count only where every factor is 0 or 1.
    const binary = (f: string) => {
      const c = stored.get(f)!
      return c.kind !== 'value' || types.get(c.source) === 'boolean'
    }
    if (counted && !factors.every(binary)) {
      throw new ContributionError(
        'LAYOUT_INVALID',
        field,
        'contributors are counted in a product of 0/1 columns only',
      )
    }
    const key = `${counted ? CONTRIBUTORS : ''}${factors.sort().join('*')}`
    if (seen.has(key)) throw new ContributionError('LAYOUT_INVALID', field, `"${key}" appears twice`)
    seen.add(key)
    monomials.push(key)
  }
  if (monomials.length === 0 || monomials.length > profile.slotCount) {
    throw new ContributionError(
      'LAYOUT_INVALID',
      'monomials',
      `${monomials.length} monomials; a contribution is one ciphertext of 1 to ${profile.slotCount} slots`,
    )
  }
  const scaleBits = input.scaleBits ?? profile.scaleBits
  if (!Number.isInteger(scaleBits) || scaleBits < MIN_SCALE_BITS || scaleBits > profile.scaleBits) {
    throw new ContributionError(
      'LAYOUT_INVALID',
      'scaleBits',
      `${scaleBits}: expected an integer from ${MIN_SCALE_BITS} to ${profile.scaleBits}`,
    )
  }
  const room = headroom(input.profile, scaleBits)
  if (!Number.isInteger(input.maxRecords) || input.maxRecords < 1 || input.maxRecords > room) {
    throw new ContributionError(
      'LAYOUT_INVALID',
      'maxRecords',
      `${input.maxRecords}: expected an integer from 1 to ${room}`,
    )
  }
  return {
    version: 1,
    profile: input.profile,
    schema: input.schema,
    monomials,
    maxRecords: input.maxRecords,
    scaleBits,
  }
}

const PoolLayoutJson = z.object({
  version: z.literal(1),
  profile: z.string(),
  schema: VaultSchemaSchema,
  monomials: z.array(z.string()),
  maxRecords: z.number(),
  scaleBits: z.number(),
})

/**
 * A layout as published (its JSON, e.g. from the pool's manifest), checked
 * again as poolLayout checks one: a contributor encrypts only under a
 * layout it has verified, and names it by the id of what it verified.
 */
export function readPoolLayout(value: unknown): PoolLayout {
  const parsed = PoolLayoutJson.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ContributionError('LAYOUT_INVALID', issue.path.join('.') || 'layout', issue.message)
  }
  const { profile, ...rest } = parsed.data
  if (!isProfileName(profile))
    throw new ContributionError('LAYOUT_INVALID', 'profile', `unknown profile ${profile}`)
  return poolLayout({ ...rest, profile })
}

/** What contributions name their layout by: sha256 of its canonical JSON. */
export function layoutIdOf(layout: PoolLayout): Hex32 {
  return blobIdOf(canonicalBytes(layout))
}

/**
 * The monomials a circuit's stats need, and a `contributors:` slot for each
 * released number the pool's minimum of contributors applies to (gates.ts):
 * compile the pool's ops on the pool's schema and take these.
 */
export function monomialsOf(circuit: Pick<Circuit, 'stats' | 'outputs'>): string[] {
  const keys = circuit.stats.map((s) => s.key)
  return [...new Set([...keys, ...gatesOf(circuit).map((g) => g.key)])]
}

/**
 * Contributions are encrypted at the lowest level: one prime, of
 * coeffModulusBits[0] bits. A slot's total times the scale must stay under
 * half of it (decryption is centred), with a factor 2 kept for the
 * encryption and threshold decryption noise: 2^(bits - 2 - scaleBits)
 * record-slots in all, 2^18 at both profiles' own scale of 2^40.
 */
export function headroom(profileName: ProfileName, scaleBits: number): number {
  return 2 ** (PROFILES[profileName].coeffModulusBits[0]! - 2 - scaleBits)
}

/** How many contributions of `layout` one aggregate can sum and still decrypt. */
export function capacityOf(layout: PoolLayout): number {
  return Math.floor(headroom(layout.profile, layout.scaleBits) / layout.maxRecords)
}

/**
 * A circuit's stats read from an aggregate's decrypted slots, in circuit
 * order; a stat the layout has no slot for is refused, naming it.
 */
export function poolStats(
  layout: PoolLayout,
  circuit: Pick<Circuit, 'stats'>,
  slots: ArrayLike<number>,
): number[] {
  return circuit.stats.map((stat) => poolSlot(layout, stat.key, slots))
}

/** One slot of an aggregate's decrypted slots by its key (a stat key, or contributorsOf one). */
export function poolSlot(layout: PoolLayout, key: string, slots: ArrayLike<number>): number {
  return slots[poolSlotIndex(layout, key)]!
}

/** Where a key's slot is in the layout; a key it has no slot for is refused, naming it. */
export function poolSlotIndex(layout: PoolLayout, key: string): number {
  const i = layout.monomials.indexOf(key)
  if (i < 0)
    throw new ContributionError('MONOMIAL_MISSING', `stats.${key}`, 'the pool layout has no slot for this')
  return i
}
