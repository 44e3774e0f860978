import { connect, createServer, type Socket } from 'node:net'

/**
 * Link conditions a relay imposes. The kernel here has no `sch_netem` (nor
 * the `gact` action), so `tc` cannot delay or drop packets; the relay does
 * it on the TCP stream instead. A stream cannot lose bytes, so a lost
 * segment shows up as what TCP makes of it: the chunk, and everything behind
 * it, arrives one retransmission timeout late.
 */
export interface LinkConditions {
  delayMs: number
  lossPercent: number
}

/** Linux's minimum retransmission timeout. */
const RETRANSMIT_MS = 200

export interface Endpoint {
  readonly host: string
  readonly port: number
}

/** A TCP relay from `listen` to `target`, applying the current link conditions to each direction. */
export class Relay {
  readonly #server = createServer((inbound) => this.#pipe(inbound))
  readonly #sockets = new Set<Socket>()
  readonly #target: Endpoint
  readonly #conditions: LinkConditions

  private constructor(target: Endpoint, conditions: LinkConditions) {
    this.#target = target
    this.#conditions = conditions
  }

  /** `conditions` is read for every chunk: changing it changes the link at once. */
  static async listen(listen: Endpoint, target: Endpoint, conditions: LinkConditions): Promise<Relay> {
    const relay = new Relay(target, conditions)
    await new Promise<void>((resolve, reject) => {
      relay.#server.once('error', reject)
      relay.#server.listen(listen.port, listen.host, resolve)
    })
    return relay
  }

  #pipe(inbound: Socket): void {
    const outbound = connect(this.#target.port, this.#target.host)
    for (const socket of [inbound, outbound]) {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
      // A peer that went away (killed, partitioned) takes both halves with it; the error is expected.
      socket.on('error', () => {
        inbound.destroy()
        outbound.destroy()
      })
    }
    this.#forward(inbound, outbound)
    this.#forward(outbound, inbound)
  }

  /**
   * One direction. Chunks wait in a FIFO and one timer drains it: timers of
   * different lengths do not fire in the order they fall due to the
   * millisecond, and a reordered byte breaks the encrypted stream.
   */
  #forward(from: Socket, to: Socket): void {
    const queue: Array<{ readonly chunk: Buffer; readonly at: number }> = []
    let timer: NodeJS.Timeout | undefined
    let ended = false
    const drain = (): void => {
      timer = undefined
      const now = Date.now()
      while (queue.length > 0 && queue[0]!.at <= now) to.write(queue.shift()!.chunk)
      if (queue.length > 0) timer = setTimeout(drain, queue[0]!.at - now)
      else if (ended) to.end()
    }
    from.on('data', (chunk: Buffer) => {
      const { delayMs, lossPercent } = this.#conditions
      const lost = Math.random() * 100 < lossPercent
      // Never before the chunk ahead of it: a stream delivers in order.
      const at = Math.max(queue.at(-1)?.at ?? 0, Date.now() + delayMs + (lost ? RETRANSMIT_MS : 0))
      queue.push({ chunk, at })
      if (timer === undefined) drain()
    })
    from.on('end', () => {
      ended = true
      if (timer === undefined) drain()
    })
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
