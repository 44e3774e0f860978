import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { z } from 'zod'
import {
  computeVaultId,
  type Hex32,
  vaultManifestSchema as wireManifestSchema,
} from '../../protocol/vocabulary.ts'
import { SandboxError } from '../errors.ts'
import { PolicySchema } from './policy.ts'
import { VaultSchemaSchema } from './schema.ts'

/**
 * Protocol's schema decides first (shape, bounds, hex spellings), then the sandbox's own schema reads
 * what it accepted. The identity step widens the pipe's input to unknown, which zod checks at run time.
 */
const refinedBy = <S extends z.ZodType>(wire: z.ZodType, sandbox: S) =>
  wire.transform((value): unknown => value).pipe(sandbox)

/**
 * A vault manifest: everything a node needs to evaluate jobs on the vault and
 * everything a buyer may know about it. It is protocol's wire manifest, with
 * the sandbox's reading of the parts only it understands: typed columns in the
 * schema, known ops in the policy, positive rotation steps. Content-addressed:
 * `vaultId` is protocol's computeVaultId, keccak256 of the canonical JSON of
 * every other field.
 */
export const VaultManifestSchema = wireManifestSchema
  .extend({
    schema: refinedBy(wireManifestSchema.shape.schema, VaultSchemaSchema),
    policy: refinedBy(wireManifestSchema.shape.policy, PolicySchema),
  })
  .superRefine((manifest, ctx) => {
    manifest.keys.galoisSteps.forEach((step, i) => {
      if (step <= 0)
        ctx.addIssue({
          code: 'custom',
          path: ['keys', 'galoisSteps', i],
          message: 'expected a positive step',
        })
    })
    if (manifest.valuesPerSlot === 2) {
      // A committee's keys have no conjugation to separate the halves (see complex-pairs.ts).
      if (manifest.keyHolder)
        ctx.addIssue({
          code: 'custom',
          path: ['valuesPerSlot'],
          message: 'two values per slot is for owner-mode vaults only',
        })
      manifest.columns.forEach((column, c) => {
        const { chunks } = column
        const paired = chunks.every((id, i) => i % 2 === 0 || id === chunks[i - 1])
        if (chunks.length !== manifest.chunkCount || !paired)
          ctx.addIssue({
            code: 'custom',
            path: ['columns', c, 'chunks'],
            message: `expected ${manifest.chunkCount} chunk ids, each ciphertext named by its two chunks in turn`,
          })
      })
    }
  })
export type VaultManifest = z.infer<typeof VaultManifestSchema>
/** One encoded column: blob ids of its ciphertexts, chunk i holding records [i*slotCount, (i+1)*slotCount). */
export type StoredColumnEntry = VaultManifest['columns'][number]

export const MANIFEST_FILE = 'manifest.json'
export const BLOB_DIR = 'blobs'

export function vaultIdOf(manifest: Omit<VaultManifest, 'vaultId'>): Hex32 {
  return computeVaultId(manifest)
}

export function parseManifest(value: unknown, where = MANIFEST_FILE): VaultManifest {
  const parsed = VaultManifestSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.map(String).join('.') ?? ''
    throw new SandboxError('MANIFEST_INVALID', `${where}: field "${field}": ${issue?.message ?? 'invalid'}`, {
      field,
    })
  }
  const manifest = parsed.data
  const expected = vaultIdOf(manifest)
  if (manifest.vaultId !== expected) {
    throw new SandboxError(
      'MANIFEST_INVALID',
      `${where}: vaultId ${manifest.vaultId} does not match its content (${expected})`,
      {
        field: 'vaultId',
      },
    )
  }
  return manifest
}

export async function readManifest(vaultDir: string): Promise<VaultManifest> {
  const path = join(vaultDir, MANIFEST_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new SandboxError('MANIFEST_INVALID', `cannot read ${path}`, { field: path, cause })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new SandboxError('MANIFEST_INVALID', `${path} is not JSON`, { field: path, cause })
  }
  return parseManifest(value, path)
}
