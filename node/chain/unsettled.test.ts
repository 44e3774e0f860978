import { describe, expect, it } from 'vitest'
import { unsettledHeights } from './unsettled.ts'

const tx = `0x${'ab'.repeat(32)}` as const

describe('unsettledHeights', () => {
  it('resumes anchored releases and failures without a settlement, once per height', () => {
    expect(
      unsettledHeights([
        // Released at 9 and that block anchored: to settle.
        { stage: 'released', releasedHeight: 9, anchorTx: { height: 9, txHash: tx } },
        // Another job of the same block.
        { stage: 'failed', failedHeight: 9, anchorTx: { height: 9, txHash: tx } },
        { stage: 'failed', failedHeight: 4, anchorTx: { height: 4, txHash: tx } },
        // Released at 12 but only its certificate's block (7) is anchored so far: nothing proven yet.
        { stage: 'released', releasedHeight: 12, anchorTx: { height: 7, txHash: tx } },
        // Already settled.
        {
          stage: 'released',
          releasedHeight: 15,
          anchorTx: { height: 15, txHash: tx },
          settlement: { status: 'paid', txHash: tx, byUs: true, height: 15 },
        },
        // Refused at submission: never in a block.
        { stage: 'failed' },
        { stage: 'certified', anchorTx: { height: 20, txHash: tx } },
      ]),
    ).toEqual([4, 9])
  })
})
