import { describe, expect, it } from 'vitest'
import { TakenMessages } from './taken.ts'

describe('TakenMessages', () => {
  it('forgets decided heights as the node moves on', () => {
    const taken = new TakenMessages()
    taken.add(6, 'a', 5)
    taken.add(7, 'b', 5)
    expect(taken.has(6, 'a') && taken.has(7, 'b')).toBe(true)
    taken.add(7, 'c', 6)
    expect(taken.has(6, 'a')).toBe(false)
    expect(taken.has(7, 'b')).toBe(true)
    expect(taken.size).toBe(2)
  })

  it('counts a key once, and past its bound lets go of the lowest heights first', () => {
    const taken = new TakenMessages(3)
    taken.add(6, 'a', 0)
    taken.add(6, 'a', 0)
    expect(taken.size).toBe(1)
    taken.add(6, 'b', 0)
    taken.add(8, 'c', 0)
    taken.add(9, 'd', 0)
    expect(taken.has(6, 'a') || taken.has(6, 'b')).toBe(false)
    expect(taken.has(8, 'c') && taken.has(9, 'd')).toBe(true)
    expect(taken.size).toBe(2)
  })
})
