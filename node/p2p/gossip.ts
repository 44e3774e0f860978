import { type Message, type PeerId, TopicValidatorResult } from '@libp2p/interface'
import type { Logger } from 'pino'
import { DecodeError } from '../../protocol/index.ts'
import { P2PError } from './errors.ts'
import type { PubSubService } from './libp2p.ts'

/**
 * What the daemon concludes about a decoded message. `reject` only for what the sender is
 * answerable for (bad signature, malformed content): it costs the sender score. `ignore` for the
 * rest (duplicates, stale or future heights, unknown jobs): dropped, not forwarded, no penalty.
 */
export type Verdict = 'accept' | 'reject' | 'ignore'

/** The part of a protocol `MessageCodec` a topic needs; `decode` throws `DecodeError` on bad input. */
export interface TopicCodec<T> {
  readonly maxBytes: number
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

export interface TopicSpec<T> {
  readonly codec: TopicCodec<T>
  /** `from` is the peer that forwarded the message to us, not necessarily its author. */
  validate(message: T, from: string): Verdict | Promise<Verdict>
}

export type MessageHandler<T> = (message: T, from: string) => void

export interface TopicCounters {
  accepted: number
  rejected: number
  ignored: number
  /** Successful publish calls, including re-publishes of identical bytes (no-ops). */
  published: number
}

export interface Topic<T> {
  readonly name: string
  /** The gossipsub topic string, `/tcf/1/<name>`. */
  readonly topic: string
  /** Resolves with the number of peers the message was sent to (0 for a lone node or a duplicate). */
  publish(message: T): Promise<number>
  /** Receives every ACCEPTed message from the network (never our own). Returns an unsubscribe. */
  subscribe(handler: MessageHandler<T>): () => void
  readonly counters: Readonly<TopicCounters>
}

/** The typed topics of a `Gossip` built from a record of specs. */
export type Topics<S> = { readonly [K in keyof S]: Topic<S[K] extends TopicSpec<infer T> ? T : never> }

const TOPIC_NAME = /^[a-z][a-z0-9-]{0,31}$/

export function topicString(name: string): string {
  if (!TOPIC_NAME.test(name)) throw new P2PError('INVALID_TOPIC', `"${name}" is not a lowercase topic name`)
  return `/tcf/1/${name}`
}

const RESULT: Record<Verdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  reject: TopicValidatorResult.Reject,
  ignore: TopicValidatorResult.Ignore,
}

type Judgement<T> =
  | { readonly verdict: 'accept'; readonly value: T }
  | { readonly verdict: 'reject' | 'ignore' }

class TopicChannel<T> implements Topic<T> {
  readonly name: string
  readonly topic: string
  readonly counters: TopicCounters = { accepted: 0, rejected: 0, ignored: 0, published: 0 }
  private readonly handlers = new Set<MessageHandler<T>>()
  /**
   * Decoded ACCEPTed messages, keyed by the message object gossipsub passes to the validator and
   * then, once accepted, to its 'message' event: each message is decoded once.
   */
  private readonly accepted = new WeakMap<Message, { readonly value: T; readonly from: string }>()
  private readonly spec: TopicSpec<T>
  private readonly pubsub: PubSubService
  private readonly log: Logger

  constructor(name: string, spec: TopicSpec<T>, pubsub: PubSubService, log: Logger) {
    this.name = name
    this.topic = topicString(name)
    this.spec = spec
    this.pubsub = pubsub
    this.log = log.child({ topic: name })
  }

  async publish(message: T): Promise<number> {
    const result = await this.pubsub.publish(this.topic, this.spec.codec.encode(message))
    this.counters.published++
    return result.recipients.length
  }

  subscribe(handler: MessageHandler<T>): () => void {
    // Wrapped so that subscribing one function twice gives two independent subscriptions.
    const entry: MessageHandler<T> = (message, from) => handler(message, from)
    this.handlers.add(entry)
    return () => this.handlers.delete(entry)
  }

  /** The gossipsub topic validator: runs before a message is delivered or forwarded. */
  readonly validator = async (peer: PeerId, message: Message): Promise<TopicValidatorResult> => {
    const from = peer.toString()
    const judgement = await this.judge(message.data, from)
    if (judgement.verdict === 'accept') {
      this.counters.accepted++
      this.accepted.set(message, { value: judgement.value, from })
    } else {
      this.counters[judgement.verdict === 'reject' ? 'rejected' : 'ignored']++
    }
    return RESULT[judgement.verdict]
  }

  private async judge(data: Uint8Array, from: string): Promise<Judgement<T>> {
    // Checked here as well as by decode: an oversized message is rejected even if a codec forgets.
    if (data.length > this.spec.codec.maxBytes) {
      this.log.debug({ from, bytes: data.length }, 'rejected oversized message')
      return { verdict: 'reject' }
    }
    let value: T
    try {
      value = this.spec.codec.decode(data)
    } catch (error) {
      if (error instanceof DecodeError) {
        this.log.debug({ from, code: error.code, path: error.path }, 'rejected undecodable message')
        return { verdict: 'reject' }
      }
      // Any other error is a bug in our decoder, which the sender cannot be blamed for.
      this.log.error({ err: error, from }, 'decoder threw something other than DecodeError')
      return { verdict: 'ignore' }
    }
    let verdict: Verdict
    try {
      verdict = await this.spec.validate(value, from)
    } catch (error) {
      this.log.error({ err: error, from }, 'validate threw; message ignored')
      return { verdict: 'ignore' }
    }
    return verdict === 'accept' ? { verdict, value } : { verdict }
  }

  /** Hands an accepted message to the subscribers. */
  deliver(message: Message): void {
    const accepted = this.accepted.get(message)
    if (accepted === undefined) {
      this.log.warn('gossipsub delivered a message that did not pass our validator')
      return
    }
    this.accepted.delete(message)
    for (const handler of this.handlers) {
      try {
        handler(accepted.value, accepted.from)
      } catch (error) {
        // A throwing handler is our bug, not the sender's; gossipsub must keep running.
        this.log.error({ err: error, from: accepted.from }, 'message handler threw')
      }
    }
  }
}

/**
 * Typed gossip topics over gossipsub. Every inbound message is size-checked, decoded and passed
 * to the topic's `validate` before gossipsub delivers or forwards it; only ACCEPTed messages reach
 * subscribers and other peers.
 */
export class Gossip<S extends Record<string, TopicSpec<unknown>>> {
  readonly topics: Topics<S>
  private readonly channels: ReadonlyMap<string, TopicChannel<unknown>>
  private readonly pubsub: PubSubService

  constructor(pubsub: PubSubService, specs: S, log: Logger) {
    this.pubsub = pubsub
    const channels = new Map<string, TopicChannel<unknown>>()
    const topics: Record<string, Topic<unknown>> = {}
    for (const [name, spec] of Object.entries(specs)) {
      const channel = new TopicChannel(name, spec, pubsub, log)
      channels.set(channel.topic, channel)
      topics[name] = channel
    }
    this.channels = channels
    // Built key by key from `specs`, so every key of S maps to a channel of its own message type.
    this.topics = topics as Topics<S>
  }

  /** Joins every topic; gossipsub must be running. */
  start(): void {
    for (const channel of this.channels.values()) {
      this.pubsub.topicValidators.set(channel.topic, channel.validator)
      this.pubsub.subscribe(channel.topic)
    }
    this.pubsub.addEventListener('message', this.onMessage)
  }

  stop(): void {
    this.pubsub.removeEventListener('message', this.onMessage)
    for (const channel of this.channels.values()) {
      this.pubsub.unsubscribe(channel.topic)
      this.pubsub.topicValidators.delete(channel.topic)
    }
  }

  /** Per-topic message counters, keyed by topic name. */
  counters(): Record<string, Readonly<TopicCounters>> {
    const counters: Record<string, Readonly<TopicCounters>> = {}
    for (const channel of this.channels.values()) counters[channel.name] = { ...channel.counters }
    return counters
  }

  /** Gossipsub's current score of a peer (0 for an unknown peer); below -80 it is graylisted. */
  peerScore(peerId: string): number {
    return this.pubsub.getScore(peerId)
  }

  /** Peers we know to be subscribed to a topic. */
  topicPeers(name: keyof S & string): string[] {
    return this.pubsub.getSubscribers(topicString(name)).map((peer) => peer.toString())
  }

  private readonly onMessage = (event: CustomEvent<Message>): void => {
    this.channels.get(event.detail.topic)?.deliver(event.detail)
  }
}
