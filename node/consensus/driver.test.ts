import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createConsensus, type SignedVote, ValidatorSet, type WalEntry } from '../../consensus/index.ts'
import {
  type Address,
  addressOfPrivateKey,
  type Block,
  blockHash,
  createEip712ConsensusSigner,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { ConsensusDriver, type DriverWal } from './driver.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const keys = Array.from({ length: 4 }, generatePrivateKey)
const validators = new ValidatorSet(keys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 })))
const params = {
  timeouts: {
    propose: { base: 300, delta: 100 },
    prevote: { base: 200, delta: 100 },
    precommit: { base: 200, delta: 100 },
  },
}

/** A consensus core signing as `key`'s validator in epoch 1. */
const coreOf = (key: Hex32) =>
  createConsensus({ signer: createEip712ConsensusSigner({ privateKey: key, domain, epoch: 1 }), params })

/** An empty block of epoch 1. */
const emptyBlock = (height: number, parentHash: Hex32, proposer: Address): Block => ({
  version: 1,
  height,
  epoch: 1,
  parentHash,
  chainBlock: 0,
  proposer,
  admitted: [],
  certified: [],
  released: [],
  failed: [],
})

/** A WAL in memory that records when entries became durable, to check persist-before-send. */
class RecordingWal implements DriverWal {
  readonly durable: WalEntry[] = []
  #buffer: WalEntry[] = []
  append(entry: WalEntry): void {
    this.#buffer.push(entry)
  }
  entries(height: number): readonly WalEntry[] {
    return this.durable.filter(
      (e) =>
        (e.kind === 'lock'
          ? e.height
          : e.kind === 'vote'
            ? e.signed.vote.height
            : e.signed.proposal.height) === height,
    )
  }
  async sync(): Promise<void> {
    this.durable.push(...this.#buffer)
    this.#buffer = []
  }
}

interface Harness {
  drivers: ConsensusDriver[]
  wals: RecordingWal[]
  decided: Map<number, Hex32>[]
  sent: SignedVote[][]
  down: Set<number>
  heads: Hex32[]
  /** (Re)creates node i's driver over the given WAL, as a restart would. */
  make(i: number, wal: RecordingWal): ConsensusDriver
}

function network(pace: { blockIntervalMs?: number; wakeNow?: () => boolean } = {}): Harness {
  const heads: Hex32[] = keys.map(() => ZERO_HASH)
  const h: Harness = {
    drivers: [],
    wals: keys.map(() => new RecordingWal()),
    decided: keys.map(() => new Map()),
    sent: keys.map(() => []),
    down: new Set(),
    heads,
    make(i, wal) {
      const key = keys[i]!
      const address = addressOfPrivateKey(key)
      const deliver = (f: (d: ConsensusDriver) => void): void => {
        setImmediate(() => {
          h.drivers.forEach((d, j) => {
            if (j !== i && !h.down.has(j) && !h.down.has(i)) f(d)
          })
        })
      }
      const driver = new ConsensusDriver({
        consensus: coreOf(key),
        wal,
        blockIntervalMs: pace.blockIntervalMs ?? 10,
        logger: pino({ level: 'silent' }),
        app: {
          validators: () => validators,
          buildBlock: (height) => emptyBlock(height, heads[i]!, address),
          blockHash,
          validateBlock: async (height, block) => block.height === height && block.parentHash === heads[i],
          decide: async (height, block) => {
            h.decided[i]!.set(height, blockHash(block))
            heads[i] = blockHash(block)
          },
          broadcastProposal: async (signed, block) => deliver((d) => d.onProposal(signed, block)),
          broadcastVote: async (signed) => {
            // Every vote that leaves must already be durable in this node's WAL.
            expect(
              wal.durable.some((e) => e.kind === 'vote' && e.signed.signature === signed.signature),
            ).toBe(true)
            h.sent[i]!.push(signed)
            deliver((d) => d.onVote(signed))
          },
          ...(pace.wakeNow ? { wakeNow: pace.wakeNow } : {}),
        },
      })
      h.drivers[i] = driver
      return driver
    },
  }
  for (let i = 0; i < keys.length; i++) h.make(i, h.wals[i]!)
  return h
}

function conflicts(votes: readonly SignedVote[]): SignedVote[] {
  return votes.filter((a) =>
    votes.some(
      (b) =>
        a.vote.height === b.vote.height &&
        a.vote.round === b.vote.round &&
        a.vote.type === b.vote.type &&
        a.vote.valueId !== b.vote.valueId,
    ),
  )
}

async function until(condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('ConsensusDriver', () => {
  it('drives four cores to the same blocks, each vote durable before it is sent', async () => {
    const h = network()
    for (const d of h.drivers) d.start(1)
    await until(() => h.decided.every((d) => d.size >= 5), 20_000)
    for (let height = 1; height <= 5; height++) {
      expect(new Set(h.decided.map((d) => d.get(height))).size).toBe(1)
    }
    await Promise.all(h.drivers.map((d) => d.stop()))
  })

  it('ends the block interval when woken for work, and only when the app agrees', async () => {
    let agree = false
    const h = network({ blockIntervalMs: 60_000, wakeNow: () => agree })
    for (const d of h.drivers) d.start(1)
    await until(() => h.decided.every((d) => d.size >= 1), 20_000)
    // Every node now waits out a minute before height 2; a wake the app refuses changes nothing.
    for (const d of h.drivers) d.wake()
    await new Promise((r) => setTimeout(r, 300))
    expect(h.drivers.map((d) => d.height)).toEqual([1, 1, 1, 1])
    agree = true
    for (const d of h.drivers) d.wake()
    await until(() => h.decided.every((d) => d.size >= 2), 20_000)
    expect(new Set(h.decided.map((d) => d.get(2))).size).toBe(1)
    await Promise.all(h.drivers.map((d) => d.stop()))
  })

  it('keeps deciding with one node down, and a node restarted mid-height from its WAL never contradicts itself', async () => {
    const h = network()
    h.down.add(3)
    for (const d of h.drivers.slice(0, 3)) d.start(1)
    await until(() => h.decided.slice(0, 3).every((d) => d.size >= 3), 20_000)
    // Node 0 crashes: its driver stops; a new one resumes from the same WAL at the height it was in.
    const height = h.drivers[0]!.height
    await h.drivers[0]!.stop()
    expect(h.wals[0]!.entries(height).length).toBeGreaterThan(0)
    h.make(0, h.wals[0]!).start(height)
    // What the node's status gossip does: a node behind adopts decided blocks from peers and jumps ahead.
    const catchUp = setInterval(() => {
      const mine = h.decided[0]!
      for (const [x, hash] of h.decided[1]!) if (!mine.has(x)) mine.set(x, hash)
      const top = Math.max(...mine.keys())
      h.heads[0] = mine.get(top)!
      h.drivers[0]!.jumpTo(top + 1)
    }, 200)
    await until(() => h.decided.slice(0, 3).every((d) => d.size >= height + 2), 20_000)
    clearInterval(catchUp)
    expect(conflicts(h.sent[0]!)).toEqual([])
    for (let x = 1; x <= height + 2; x++) {
      expect(new Set(h.decided.slice(0, 3).map((d) => d.get(x))).size).toBe(1)
    }
    await Promise.all(h.drivers.map((d) => d.stop()))
  })

  it('keeps what arrives before start, a catch-up jump included, for the height start is given', async () => {
    // A node that caught up to height 1 before its consensus started: the jump comes first, then
    // height 2's proposal and a prevote, then start(2). Nothing of it may be lost.
    const judged: number[] = []
    const key = keys[0]!
    const driver = new ConsensusDriver({
      consensus: coreOf(key),
      wal: new RecordingWal(),
      blockIntervalMs: 10,
      logger: pino({ level: 'silent' }),
      app: {
        validators: () => validators,
        buildBlock: () => {
          throw new Error('not the proposer in this test')
        },
        blockHash,
        validateBlock: async (height) => {
          judged.push(height)
          return true
        },
        decide: async () => {},
        broadcastProposal: async () => {},
        broadcastVote: async () => {},
      },
    })
    const proposer = validators.proposer(2, 0)
    const proposerKey = keys.find((k) => addressOfPrivateKey(k) === proposer)!
    const signer = createEip712ConsensusSigner({ privateKey: proposerKey, domain, epoch: 1 })
    const block = emptyBlock(2, ZERO_HASH, proposer)
    const valueId = blockHash(block)
    driver.jumpTo(2)
    driver.onProposal(signer.signProposal({ height: 2, round: 0, valueId, validRound: -1, proposer }), block)
    driver.onVote(signer.signVote({ type: 'prevote', height: 2, round: 0, valueId, validator: proposer }))
    driver.start(2)
    await until(() => judged.length > 0, 5_000)
    expect(judged).toEqual([2])
    await driver.stop()
  })

  it('lets a set of three decide when one member missed the others’ first messages of a height', async () => {
    // Member 2 hears nothing until the others have proposed and voted in round 0: it times out to
    // a nil prevote, the others to nil precommits, and each waits on a vote it will never be sent
    // again, unless a stuck round is re-sent (new bytes: resentAt).
    const three = keys.slice(0, 3)
    const set = new ValidatorSet(three.map((k) => ({ address: addressOfPrivateKey(k), power: 1 })))
    const deaf = { member: 2, until: Date.now() + 800 }
    const decided = three.map(() => new Map<number, Hex32>())
    const resent: number[] = []
    const drivers: ConsensusDriver[] = []
    const deliver = (from: number, f: (d: ConsensusDriver) => void): void => {
      setImmediate(() => {
        drivers.forEach((d, j) => {
          if (j !== from && !(j === deaf.member && Date.now() < deaf.until)) f(d)
        })
      })
    }
    three.forEach((key, i) => {
      drivers[i] = new ConsensusDriver({
        consensus: coreOf(key),
        wal: new RecordingWal(),
        blockIntervalMs: 10,
        resendMs: 300,
        logger: pino({ level: 'silent' }),
        app: {
          validators: () => set,
          buildBlock: (height) => emptyBlock(height, ZERO_HASH, addressOfPrivateKey(key)),
          blockHash,
          validateBlock: async (height, block) => block.height === height,
          decide: async (height, block) => void decided[i]!.set(height, blockHash(block)),
          broadcastProposal: async (signed, block, resentAt) => {
            if (resentAt !== undefined) resent.push(i)
            deliver(i, (d) => d.onProposal(signed, block))
          },
          broadcastVote: async (signed, resentAt) => {
            if (resentAt !== undefined) resent.push(i)
            deliver(i, (d) => d.onVote(signed))
          },
        },
      })
    })
    for (const d of drivers) d.start(1)
    await until(() => decided.every((d) => d.size >= 2), 15_000)
    expect(new Set(decided.map((d) => d.get(1))).size).toBe(1)
    expect(resent.length).toBeGreaterThan(0)
    await Promise.all(drivers.map((d) => d.stop()))
  })
})
