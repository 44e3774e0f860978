import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { computeVaultId, type Hex32, hex32Schema } from '../../protocol/index.ts'
import { SandboxError } from '../errors.ts'
import { PolicySchema } from './policy.ts'
import { VaultSchemaSchema } from './schema.ts'

const hex32 = hex32Schema

export const StoredColumnEntrySchema = z.object({
  name: z.string(),
  kind: z.enum(['value', 'mask', 'onehot']),
  source: z.string(),
  category: z.string().optional(),
  center: z.number().optional(),
  halfWidth: z.number().positive().optional(),
  /** blob ids of the column's ciphertexts, chunk i holding records [i*slotCount, (i+1)*slotCount) */
  chunks: z.array(hex32),
})
export type StoredColumnEntry = z.infer<typeof StoredColumnEntrySchema>

/**
 * A vault manifest: everything a node needs to evaluate jobs on the vault and
 * everything a buyer may know about it. Its wire form is protocol's
 * VaultManifest; this schema adds the sandbox's semantic checks (typed
 * columns, known ops). Content-addressed: `vaultId` is protocol's
 * computeVaultId, keccak256 of the canonical JSON of every other field.
 */
export const VaultManifestSchema = z.object({
  version: z.literal(1),
  vaultId: hex32,
  profile: z.enum(['ckks-8192', 'ckks-16384']),
  schema: VaultSchemaSchema,
  recordCount: z.number().int().min(0),
  chunkCount: z.number().int().min(0),
  slotCount: z.number().int().positive(),
  keys: z.object({
    /** sha256 of the public key's wire bytes: the key set's id */
    publicKey: hex32,
    relinKeys: hex32,
    galoisKeys: hex32,
    galoisSteps: z.array(z.number().int().positive()),
  }),
  columns: z.array(StoredColumnEntrySchema),
  policy: PolicySchema,
  createdAt: z.string(),
})
export type VaultManifest = z.infer<typeof VaultManifestSchema>

export const MANIFEST_FILE = 'manifest.json'
export const BLOB_DIR = 'blobs'

export function vaultIdOf(manifest: Omit<VaultManifest, 'vaultId'>): Hex32 {
  // The sandbox's manifest is a refinement of the wire form, so the cast only narrows field types.
  return computeVaultId(manifest as Parameters<typeof computeVaultId>[0]) as Hex32
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
