import { describe, expect, it } from 'vitest'
import { unanchoredHeights } from './unanchored.ts'

const tx = `0x${'ab'.repeat(32)}` as const

describe('unanchoredHeights', () => {
  it("hands back each job's latest outcome block whose anchor is not recorded, once per height", () => {
    expect(
      unanchoredHeights([
        // Certified at 7, killed before its anchor was recorded.
        { certifiedHeight: 7 },
        // Another job of the same block.
        { certifiedHeight: 7 },
        // Certified and anchored at 7, then failed at 30 with that block's anchor not recorded.
        { certifiedHeight: 7, failedHeight: 30, anchorTx: { height: 7, txHash: tx } },
        // Released at 12, anchored: done.
        { certifiedHeight: 9, releasedHeight: 12, anchorTx: { height: 12, txHash: tx } },
        // Certified at 5 and anchored there.
        { certifiedHeight: 5, anchorTx: { height: 5, txHash: tx } },
        // Admitted only, or refused at submission: no outcome block to anchor.
        {},
      ]),
    ).toEqual([7, 30])
  })
})
