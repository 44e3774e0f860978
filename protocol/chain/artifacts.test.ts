import { describe, expect, it } from 'vitest'
import { loadArtifact } from './artifacts.ts'
import { CONTRACT_NAMES, compileContracts } from './compile.ts'

describe('committed contract artifacts', () => {
  it('match a fresh compile of protocol/contracts (run npm run build:contracts if not)', () => {
    const fresh = compileContracts()
    for (const name of CONTRACT_NAMES) expect(loadArtifact(name), name).toEqual(fresh[name])
  })
})
