/** Heights in a row that may skip the block interval before one pause is taken regardless. */
export const MAX_HEIGHTS_WITHOUT_PAUSE = 3

/**
 * When the next height starts: after the block interval (so requests can
 * gather into one block), unless the next block already has work waiting:
 * a request that arrived during the height just decided, or a job whose
 * quorum of attestations is here but not yet certified. Waiting the
 * interval then only delays that work by up to the interval on every
 * validator. Each decided height is asked once; a condition that stays true
 * (a certificate no proposer includes) still gets a pause every few heights,
 * so it never spins empty heights on the cores the evaluations need.
 */
export class HeightPace {
  readonly #certificateReady: () => boolean
  #arrived = false
  #skipped = 0

  constructor(certificateReady: () => boolean) {
    this.#certificateReady = certificateReady
  }

  /** A request this node may propose arrived (from the API or gossip). */
  arrived(): void {
    this.#arrived = true
  }

  /** Asked when a height is decided: true to start the next one at once. */
  startNow(): boolean {
    const work = this.#arrived || this.#certificateReady()
    this.#arrived = false
    if (work && this.#skipped < MAX_HEIGHTS_WITHOUT_PAUSE) {
      this.#skipped++
      return true
    }
    this.#skipped = 0
    return false
  }
}
