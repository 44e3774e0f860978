/**
 * A per-IP request ceiling checked as a request arrives, before its body is
 * read. The signer-keyed rate limit can only run once the body is parsed (the
 * signature covers it), so without this a client could send unparseable
 * bodies, or requests to no route, without ever being counted.
 */
export class IpCeiling {
  readonly #max: number
  readonly #windowMs: number
  readonly #now: () => number
  #windowStart = 0
  readonly #counts = new Map<string, number>()

  constructor(max: number, windowMs = 60_000, now: () => number = Date.now) {
    this.#max = max
    this.#windowMs = windowMs
    this.#now = now
  }

  /** Counts a request from `ip`; false once it is over the ceiling for this window. */
  admit(ip: string): boolean {
    const now = this.#now()
    // One fixed window for every IP: the map is dropped whole, so it cannot grow past one window's clients.
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now
      this.#counts.clear()
    }
    const count = (this.#counts.get(ip) ?? 0) + 1
    this.#counts.set(ip, count)
    return count <= this.#max
  }

  /** Seconds until the current window ends. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.#windowStart + this.#windowMs - this.#now()) / 1000))
  }
}
