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

  #forward(from: Socket, to: Socket): void {
    // Release times never decrease, so chunks leave in the order they came.
    let releaseAt = 0
    from.on('data', (chunk: Buffer) => {
      const { delayMs, lossPercent } = this.#conditions
      const lost = Math.random() * 100 < lossPercent
      releaseAt = Math.max(releaseAt, Date.now() + delayMs + (lost ? RETRANSMIT_MS : 0))
      const wait = releaseAt - Date.now()
      if (wait <= 0) to.write(chunk)
      else setTimeout(() => to.writable && to.write(chunk), wait)
    })
    from.on('end', () => setTimeout(() => to.end(), Math.max(0, releaseAt - Date.now())))
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
