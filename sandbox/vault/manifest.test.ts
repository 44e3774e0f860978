import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { computeVaultId, type VaultManifest, vaultManifestCodec } from '../../protocol/index.ts'
import { SandboxError } from '../errors.ts'
import { REGRESSION_VAULT } from '../testing/regression.ts'
import { MANIFEST_FILE, parseManifest } from './manifest.ts'

const stored = (): VaultManifest => JSON.parse(readFileSync(`${REGRESSION_VAULT}/${MANIFEST_FILE}`, 'utf8'))

/** A manifest re-addressed after an edit, as a seller would publish it: its id hashes its content. */
function readdressed(edit: (m: Record<string, unknown>) => void): unknown {
  const m: Record<string, unknown> = structuredClone(stored())
  edit(m)
  return { ...m, vaultId: computeVaultId(m as VaultManifest) }
}

describe('vault manifests', () => {
  it('a manifest the sandbox writes is one the wire accepts, id included', () => {
    const json = stored()
    expect(vaultManifestCodec.decode(vaultManifestCodec.encode(json))).toEqual(json)
    expect(parseManifest(json)).toEqual(json)
  })

  // Each of these is refused by the protocol codec peers decode manifests with; a node that accepted
  // one through the sandbox would hold a vault its peers cannot load.
  const refusedOnTheWire: [string, (m: Record<string, unknown>) => void][] = [
    [
      'a createdAt that is no timestamp',
      (m) => {
        m.createdAt = 'yesterday'
      },
    ],
    [
      'a column of more chunks than the wire bounds',
      (m) => {
        const [first] = m.columns as { chunks: string[] }[]
        if (first) first.chunks = Array.from({ length: 4097 }, () => first.chunks[0] ?? '')
      },
    ],
    [
      'more Galois steps than the wire bounds',
      (m) => {
        ;(m.keys as { galoisSteps: number[] }).galoisSteps = Array.from({ length: 65 }, (_, i) => i + 1)
      },
    ],
  ]

  it.each(refusedOnTheWire)('are refused by the sandbox too: %s', (_, edit) => {
    const manifest = readdressed(edit)
    expect(vaultManifestCodec.schema.safeParse(manifest).success).toBe(false)
    expect(() => parseManifest(manifest)).toThrow(SandboxError)
    expect(() => parseManifest(manifest)).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID' }))
  })

  it('the sandbox still refuses what only it can judge: an op it does not know', () => {
    const manifest = readdressed((m) => {
      ;(m.policy as { allowedOps: string[] }).allowedOps = ['count', 'exfiltrate']
    })
    expect(vaultManifestCodec.schema.safeParse(manifest).success).toBe(true)
    expect(() => parseManifest(manifest)).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID' }))
  })
})
