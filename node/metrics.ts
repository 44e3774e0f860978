import { Gauge, Histogram, Registry } from 'prom-client'
import type { GossipCounters } from './ports.ts'

/** Where the gauges read from at scrape time. */
export interface MetricSources {
  peers(): number
  gossip(): Readonly<Record<string, GossipCounters>>
  blobBytes(): { readonly served: number; readonly fetched: number }
  sandboxQueueDepth(): number
}

/** A job's stages as the buyer sees them; each observed once per job, on the node that saw both ends. */
export type StageInterval = 'admission' | 'execution' | 'certification' | 'anchoring' | 'release'

/**
 * The node's Prometheus metrics. Event-driven ones (heights, rounds, stage
 * latencies, evaluation times) are observed as things happen; the rest are
 * read from their owners when scraped.
 */
export class NodeMetrics {
  readonly registry = new Registry()
  readonly height = new Gauge({ name: 'tcf_height', help: 'last decided height', registers: [this.registry] })
  readonly roundsPerHeight = new Histogram({
    name: 'tcf_rounds_per_height',
    help: 'rounds a height took to decide (1 = decided in round 0)',
    buckets: [1, 2, 3, 4, 6, 8],
    registers: [this.registry],
  })
  readonly stageSeconds = new Histogram({
    name: 'tcf_job_stage_seconds',
    help: 'time a job spent reaching each stage: admission (submit->admitted), execution (admitted->attested), certification (admitted->certified), anchoring (certified->anchored), release (certified->released)',
    labelNames: ['stage'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  })
  readonly evaluationSeconds = new Histogram({
    name: 'tcf_sandbox_evaluation_seconds',
    help: 'homomorphic evaluation time per job, blob fetches included',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  })

  constructor(sources: MetricSources) {
    const registers = [this.registry]
    new Gauge({
      name: 'tcf_peers',
      help: 'connected p2p peers',
      registers,
      collect() {
        this.set(sources.peers())
      },
    })
    new Gauge({
      name: 'tcf_gossip_messages',
      help: 'gossip messages by topic and outcome (accepted, rejected, ignored, published), since start',
      labelNames: ['topic', 'outcome'],
      registers,
      collect() {
        for (const [topic, counters] of Object.entries(sources.gossip())) {
          for (const [outcome, value] of Object.entries(counters)) this.set({ topic, outcome }, value)
        }
      },
    })
    new Gauge({
      name: 'tcf_blob_bytes',
      help: 'blob bytes exchanged with peers, by direction, since start',
      labelNames: ['direction'],
      registers,
      collect() {
        const { served, fetched } = sources.blobBytes()
        this.set({ direction: 'served' }, served)
        this.set({ direction: 'fetched' }, fetched)
      },
    })
    new Gauge({
      name: 'tcf_sandbox_queue_depth',
      help: 'jobs waiting for an evaluation worker',
      registers,
      collect() {
        this.set(sources.sandboxQueueDepth())
      },
    })
  }

  observeStage(stage: StageInterval, from: string | undefined, to: string | undefined): void {
    if (!from || !to) return
    const seconds = (Date.parse(to) - Date.parse(from)) / 1000
    if (seconds >= 0) this.stageSeconds.observe({ stage }, seconds)
  }

  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
