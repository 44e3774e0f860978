/** Shared by the p2p tests: a tiny message type, its topics, and bounded polling. */
import { z } from 'zod'
import { defineMessage } from '../../protocol/index.ts'
import type { TopicSpec, Verdict } from './gossip.ts'
import { generatePeerKey } from './libp2p.ts'
import { createP2PNetwork, type P2PNetwork, type P2PNetworkInit } from './network.ts'

export const PING_MAX_BYTES = 512

export const pingCodec = defineMessage(
  'Ping',
  z.strictObject({ version: z.literal(1), seq: z.number().int().nonnegative(), text: z.string().max(200) }),
  PING_MAX_BYTES,
)
export type Ping = ReturnType<typeof pingCodec.decode>

export const ping = (seq: number, text: string): Ping => ({ version: 1, seq, text })

/** Accepts everything except text 'ignore-me'; the tests change no verdicts of real consensus. */
const validate = (message: Ping): Verdict => (message.text === 'ignore-me' ? 'ignore' : 'accept')

export const testTopics = {
  votes: { codec: pingCodec, validate },
  status: { codec: pingCodec, validate },
} satisfies Record<string, TopicSpec<Ping>>

export type TestNetwork = P2PNetwork<typeof testTopics>

export async function startNode(
  init: Partial<P2PNetworkInit<typeof testTopics>> = {},
): Promise<{ net: TestNetwork; key: Uint8Array }> {
  const key = init.privateKey ?? generatePeerKey()
  const net = await createP2PNetwork({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    topics: testTopics,
    redial: { minDelayMs: 100, maxDelayMs: 1_000, dialTimeoutMs: 2_000 },
    ...init,
    privateKey: key,
  })
  await net.start()
  return { net, key }
}

/** The node's TCP listen address, ending in its peer id. */
export function addressOf(net: TestNetwork): string {
  const addr = net.multiaddrs.find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))
  if (addr === undefined) throw new Error(`${net.peerId} has no loopback TCP address`)
  return addr
}

/** Polls `condition` every 25 ms; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await sleep(25)
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
