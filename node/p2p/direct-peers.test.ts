import { afterAll, describe, expect, it } from 'vitest'
import type { Ping } from './test-support.ts'
import { addressOf, eventually, ping, startNode, type TestNetwork } from './test-support.ts'

/** A validator set that changes while nodes run: direct peers are replaced without a restart. */
describe('direct peers set at run time', () => {
  const nets: TestNetwork[] = []
  afterAll(async () => {
    await Promise.all(nets.map((net) => net.stop()))
  })

  it('dials a peer added later, exchanges gossip with it, and stops redialling a removed one', async () => {
    const [first, second] = await Promise.all([startNode(), startNode()])
    const a = first!.net
    const b = second!.net
    nets.push(a, b)
    const received: Ping[] = []
    b.gossip.topics.votes.subscribe((message: Ping) => received.push(message))
    expect(a.connectedPeers()).toEqual([])

    a.setDirectPeers([addressOf(b), addressOf(a)])
    await eventually('a connects to b', () => a.connectedPeers().includes(b.peerId))
    await eventually('b sees a subscribed to votes', () => b.gossip.topicPeers('votes').includes(a.peerId))
    await eventually('a sees b subscribed to votes', () => a.gossip.topicPeers('votes').includes(b.peerId))
    await a.gossip.topics.votes.publish(ping(1, 'to the new set'))
    await eventually('b receives it', () => received.some((m) => m.text === 'to the new set'))

    a.setDirectPeers([])
    const address = addressOf(b)
    await b.stop()
    await eventually('a notices b is gone', () => !a.connectedPeers().includes(b.peerId))
    // b comes back at the same address with the same key; had it stayed a target, a would redial it.
    const back = (await startNode({ privateKey: second!.key, listen: [address.split('/p2p/')[0]!] })).net
    nets.push(back)
    await new Promise((resolve) => setTimeout(resolve, 2000))
    expect(a.connectedPeers()).not.toContain(back.peerId)
  })
})
