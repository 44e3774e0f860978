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

  /**
   * Asked when work arrives during the pause after a decided height (a request, a quorum of
   * attestations first held): true to end the pause now. The pause was for requests to gather, and
   * these would only wait it out. Counted as a height without pause, so the cap above still holds;
   * only new events ask, so a condition that stays true never ends a pause by itself.
   */
  wakeNow(): boolean {
    const work = this.#arrived || this.#certificateReady()
    if (!work || this.#skipped >= MAX_HEIGHTS_WITHOUT_PAUSE) return false
    this.#arrived = false
    this.#skipped++
    return true
  }
}
