/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG), seeded through
 * splitmix32. Everything random in a simulation draws from one of these, so a
 * seed replays the exact same run.
 */
export class Prng {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) | 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#a = splitmix32()
    this.#b = splitmix32()
    this.#c = splitmix32()
    this.#d = splitmix32()
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list')
    return items[this.int(0, items.length - 1)]!
  }

  /** Fisher-Yates, on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }

  /** An independent stream, so adding draws in one part of the simulation does not shift another. */
  fork(): Prng {
    return new Prng(this.nextUint32())
  }
}
