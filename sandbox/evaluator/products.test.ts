import { afterAll, describe, expect, it } from 'vitest'
import { emptyTally, timedContext } from '../bench/op-timer.ts'
import { canonicalBytes, loadCiphertext } from '../he/serialize.ts'
import { regressionEvaluation } from '../testing/regression.ts'
import { ChunkProducts, type ProductTree, productOrders } from './products.ts'

describe('productOrders', () => {
  it("multiplies first the pair most of the circuit's 3-factor stats share", () => {
    // The demo's filtered terms: every one carries bmi#present.
    const stats = [
      ['bmi#present', 'systolic_bp', 'systolic_bp'],
      ['age', 'bmi#present', 'systolic_bp'],
      ['bmi#present', 'smoker', 'systolic_bp'],
      ['age', 'age', 'bmi#present'],
      ['age', 'bmi#present', 'smoker'],
      ['age', 'bmi'],
      ['age'],
    ].map((factors) => ({ factors }))
    const orders = productOrders(stats)
    expect(orders).toEqual([
      ['bmi#present', 'systolic_bp', 'systolic_bp'],
      ['age', 'bmi#present', 'systolic_bp'],
      ['bmi#present', 'systolic_bp', 'smoker'],
      ['age', 'bmi#present', 'age'],
      ['age', 'bmi#present', 'smoker'],
      ['age', 'bmi'],
      ['age'],
    ])
    // Five inner products per chunk before, two now.
    expect(new Set(orders.filter((o) => o.length === 3).map((o) => o.slice(0, 2).join('*'))).size).toBe(2)
  })

  it('keeps the sorted order when nothing is shared', () => {
    expect(productOrders([{ factors: ['a', 'b', 'c'] }, { factors: ['d', 'e', 'f', 'g'] }])).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e', 'f', 'g'],
    ])
  })
})

describe('ChunkProducts', () => {
  const setup = regressionEvaluation()
  afterAll(async () => (await setup).keys.delete())

  it('gives each tree the bytes it has alone, computing a shared sub-product once', async () => {
    const { ctx, keys, input } = await setup
    const names = ['x', 'x#present', 'y', 'g=p']
    const loaded = new Map(
      names.map((n) => [n, loadCiphertext(ctx, input.readBlob(input.columns.get(n)![0]!), n)]),
    )
    const trees = [
      ['x', 'x#present', 'y'],
      ['x', 'x#present', 'x'],
      ['x', 'x#present'],
      ['g=p', 'y', 'x', 'x#present'],
      ['y', 'y'],
    ].map((names) => ({ names, level: 3 }))
    const rootBytes = (products: ChunkProducts, tree: ProductTree): Uint8Array => {
      const root = products.addRoot(tree, undefined)!
      try {
        expect(root.size()).toBe(3)
        return canonicalBytes(ctx, root)
      } finally {
        root.delete()
      }
    }
    try {
      const aloneTally = emptyTally()
      const alone = trees.map((tree) => {
        const products = new ChunkProducts(timedContext(ctx, aloneTally), keys, (f) => loaded.get(f)!, [tree])
        try {
          return rootBytes(products, tree)
        } finally {
          products.delete()
        }
      })
      const sharedTally = emptyTally()
      const products = new ChunkProducts(timedContext(ctx, sharedTally), keys, (f) => loaded.get(f)!, trees)
      const shared = trees.map((tree) => rootBytes(products, tree))
      products.delete()
      for (const [i, bytes] of shared.entries())
        expect(Buffer.from(bytes).equals(Buffer.from(alone[i]!))).toBe(true)
      // x·x#present: the inner product of three trees and the root of a fourth.
      expect(aloneTally.multiply.count).toBe(9)
      expect(sharedTally.multiply.count).toBe(6)
      expect(aloneTally.relinearize.count).toBe(4)
      expect(sharedTally.relinearize.count).toBe(2)
      // Every kept node is freed once its last tree has it: one leaked 3-prime product per round would be
      // 100 × 384 KiB or more; WASM memory never shrinks, so growth is what shows a leak.
      const round = () => {
        const p = new ChunkProducts(ctx, keys, (f) => loaded.get(f)!, trees)
        for (const tree of trees) p.addRoot(tree, undefined)!.delete()
      }
      round()
      const warm = ctx.heapBytes()
      for (let i = 0; i < 100; i++) round()
      expect(ctx.heapBytes() - warm).toBeLessThanOrEqual(4 * 2 ** 20)
    } finally {
      for (const ct of loaded.values()) ct.delete()
    }
  })
})
