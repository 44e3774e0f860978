import { describe, expect, it } from 'vitest'
import { HeightPace, MAX_HEIGHTS_WITHOUT_PAUSE } from './pace.ts'

describe('HeightPace', () => {
  it('pauses when nothing waits, starts at once for a request that arrived during the height', () => {
    const pace = new HeightPace(() => false)
    expect(pace.startNow()).toBe(false)
    pace.arrived()
    expect(pace.startNow()).toBe(true)
    // The request went into that height's block (or was refused): the flag does not outlive it.
    expect(pace.startNow()).toBe(false)
  })

  it('starts at once while a certificate waits, with a pause every few heights if it stays', () => {
    let ready = true
    const pace = new HeightPace(() => ready)
    const starts = Array.from({ length: 2 * (MAX_HEIGHTS_WITHOUT_PAUSE + 1) }, () => pace.startNow())
    const cycle = [...Array<boolean>(MAX_HEIGHTS_WITHOUT_PAUSE).fill(true), false]
    expect(starts).toEqual([...cycle, ...cycle])
    ready = false
    expect(pace.startNow()).toBe(false)
  })

  it('ends a pause for work that arrives during it, within the same cap', () => {
    let ready = false
    const pace = new HeightPace(() => ready)
    expect(pace.startNow()).toBe(false)
    // Nothing arrived: the pause goes on.
    expect(pace.wakeNow()).toBe(false)
    pace.arrived()
    expect(pace.wakeNow()).toBe(true)
    // The request goes into the height that starts now: it does not also skip the next pause.
    expect(pace.startNow()).toBe(false)
    // A certificate that stays ready ends pauses only up to the cap of heights in a row.
    ready = true
    const starts = [
      pace.wakeNow(),
      ...Array.from({ length: MAX_HEIGHTS_WITHOUT_PAUSE }, () => pace.startNow()),
    ]
    expect(starts).toEqual([...Array<boolean>(MAX_HEIGHTS_WITHOUT_PAUSE).fill(true), false])
  })
})
