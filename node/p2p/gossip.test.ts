import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Ping } from './test-support.ts'
import { addressOf, eventually, ping, sleep, startNode, type TestNetwork } from './test-support.ts'

/**
 * Four loopback nodes: 0 is the bootstrap node, 1 and 2 bootstrap from it, 3 knows none of them
 * as bootstrap but has all three as direct peers (as a validator has the other validators).
 */
describe('gossip over four loopback nodes', () => {
  const nets: TestNetwork[] = []
  const keys = new Map<string, Uint8Array>()
  const received = new Map<string, { seq: number; text: string; from: string; at: number }[]>()

  const record = (net: TestNetwork): void => {
    const log: { seq: number; text: string; from: string; at: number }[] = []
    received.set(net.peerId, log)
    net.gossip.topics.votes.subscribe((message: Ping, from) =>
      log.push({ seq: message.seq, text: message.text, from, at: performance.now() }),
    )
  }
  const got = (net: TestNetwork, text: string) =>
    (received.get(net.peerId) ?? []).filter((m) => m.text === text)

  beforeAll(async () => {
    const started = async (init: Parameters<typeof startNode>[0] = {}): Promise<TestNetwork> => {
      const { net, key } = await startNode(init)
      keys.set(net.peerId, key)
      nets.push(net)
      return net
    }
    const n0 = await started()
    const boot = [addressOf(n0)]
    const n1 = await started({ bootstrap: boot })
    const n2 = await started({ bootstrap: boot })
    await started({ directPeers: [addressOf(n0), addressOf(n1), addressOf(n2)] })
    for (const net of nets) record(net)
    // 1 and 2 know only 0 and are found by 3; they never meet each other (no peer exchange).
    await eventually('every node sees each of its peers subscribed to votes', () =>
      nets.every(
        (net) =>
          net.connectedPeers().length >= 2 &&
          net.gossip.topicPeers('votes').length === net.connectedPeers().length,
      ),
    )
  })

  afterAll(async () => {
    await Promise.all(nets.map((net) => net.stop()))
  })

  it('connects a node to its direct peers without any bootstrap', () => {
    const [n0, n1, n2, n3] = nets as [TestNetwork, TestNetwork, TestNetwork, TestNetwork]
    expect(n3.connectedPeers().sort()).toEqual([n0.peerId, n1.peerId, n2.peerId].sort())
  })

  it('delivers a message published on one node to every other subscriber, once', async () => {
    const rounds = 20
    const latencies: number[] = []
    for (let i = 0; i < rounds; i++) {
      const sender = nets[i % nets.length]!
      const text = `round-${i}`
      const sentAt = performance.now()
      await sender.gossip.topics.votes.publish(ping(i, text))
      const others = nets.filter((net) => net !== sender)
      await eventually(
        `round ${i} everywhere`,
        () => others.every((net) => got(net, text).length === 1),
        5_000,
      )
      for (const net of others) latencies.push(got(net, text)[0]!.at - sentAt)
      expect(got(sender, text)).toEqual([])
    }
    latencies.sort((a, b) => a - b)
    console.log(
      `gossip latency, 4 loopback nodes, ${latencies.length} deliveries: ` +
        `median ${latencies[latencies.length >> 1]!.toFixed(2)} ms, max ${latencies.at(-1)!.toFixed(2)} ms`,
    )
    expect(nets[0]!.gossip.counters().votes?.accepted).toBeGreaterThanOrEqual(rounds - rounds / nets.length)
  })

  it('treats publishing identical bytes twice as a no-op', async () => {
    const [, n1] = nets as [TestNetwork, TestNetwork]
    const first = await n1.gossip.topics.votes.publish(ping(1000, 'twice'))
    const second = await n1.gossip.topics.votes.publish(ping(1000, 'twice'))
    expect(first).toBeGreaterThan(0)
    expect(second).toBe(0)
    await eventually('the message arrives', () => got(nets[0]!, 'twice').length === 1)
    await sleep(200)
    for (const net of nets.filter((n) => n !== n1)) expect(got(net, 'twice')).toHaveLength(1)
  })

  it('does not deliver or forward a message its validator ignores', async () => {
    const [n0, n1] = nets as [TestNetwork, TestNetwork]
    const ignoredBefore = n0.gossip.counters().votes!.ignored
    await n1.gossip.topics.votes.publish(ping(2000, 'ignore-me'))
    await n1.gossip.topics.votes.publish(ping(2001, 'after-ignored'))
    await eventually('the next message arrives', () => got(n0, 'after-ignored').length === 1)
    expect(got(n0, 'ignore-me')).toEqual([])
    expect(n0.gossip.counters().votes!.ignored).toBe(ignoredBefore + 1)
    expect(n0.gossip.peerScore(n1.peerId)).toBeGreaterThanOrEqual(0)
  })

  it('redials a restarted node (same key and port) and it rejoins the mesh', async () => {
    const [, n1, n2, n3] = nets as [TestNetwork, TestNetwork, TestNetwork, TestNetwork]
    const address = addressOf(n2)
    const port = address.split('/')[4]!
    await n2.stop()
    await eventually('node 3 notices the restart', () => !n3.connectedPeers().includes(n2.peerId))
    // Stay down for a few redial attempts, as a real restart would.
    await sleep(1_000)
    // The restarted node knows no peer at all: only node 3's redial can bring it back.
    const { net: restarted } = await startNode({
      privateKey: keys.get(n2.peerId)!,
      listen: [`/ip4/127.0.0.1/tcp/${port}`],
    })
    nets[2] = restarted
    record(restarted)
    expect(restarted.peerId).toBe(n2.peerId)
    await eventually('node 3 redials it', () => n3.connectedPeers().includes(restarted.peerId), 10_000)
    await eventually('it sees node 3 on votes', () =>
      restarted.gossip.topicPeers('votes').includes(n3.peerId),
    )
    await n1.gossip.topics.votes.publish(ping(3000, 'after-restart'))
    await eventually('the restarted node receives gossip', () => got(restarted, 'after-restart').length === 1)
  })
})

describe('a lone node', () => {
  it('publishes into the void without throwing', async () => {
    const { net } = await startNode()
    try {
      expect(await net.gossip.topics.status.publish(ping(1, 'anyone?'))).toBe(0)
      expect(net.gossip.counters().status).toEqual({ accepted: 0, rejected: 0, ignored: 0, published: 1 })
    } finally {
      await net.stop()
    }
  })
})
