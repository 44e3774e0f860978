import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { vaultManifestCodec } from '../protocol/index.ts'
import { REGRESSION_VAULT } from '../sandbox/testing/regression.ts'

describe('sandbox manifests on the wire', () => {
  it('decode with the protocol codec, id included', () => {
    const bytes = readFileSync(`${REGRESSION_VAULT}/manifest.json`)
    const json = JSON.parse(bytes.toString('utf8'))
    const decoded = vaultManifestCodec.decode(vaultManifestCodec.encode(json))
    expect(decoded.vaultId).toBe(json.vaultId)
    expect(decoded.columns.map((c) => c.name)).toEqual(json.columns.map((c: { name: string }) => c.name))
  })
})
