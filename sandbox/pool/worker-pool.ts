import { type ResourceLimits, type Transferable, Worker } from 'node:worker_threads'
import { EvaluationError, SandboxError, type SandboxErrorCode } from '../errors.ts'
import { describe } from '../he/serialize.ts'

export interface WorkerPoolInit {
  /** the worker module: it calls `serveTasks` */
  readonly script: URL
  readonly size: number
  readonly workerData?: unknown
  readonly resourceLimits?: ResourceLimits
}

export interface RunOptions {
  /** wall-clock limit for this task: past it the worker is killed and replaced */
  readonly deadlineMs?: number
  readonly transfer?: readonly Transferable[]
}

export interface BroadcastOptions {
  /** wall-clock limit for each worker's run, as in `run` */
  readonly deadlineMs?: number
  /** also run it on every worker spawned later to replace one (only the last such broadcast is kept) */
  readonly replay?: boolean
}

interface Task<Req, Res> {
  readonly request: Req
  readonly options: RunOptions
  resolve(value: Res): void
  reject(error: Error): void
  /** a replayed broadcast: if it fails, it is not replayed again (no crash loop) */
  readonly replayed?: true
}

interface Slot<Req, Res> {
  worker: Worker
  task?: Task<Req, Res>
  timer?: NodeJS.Timeout
  /** tasks for this worker alone (broadcasts), run before the shared queue's */
  readonly pinned: Task<Req, Res>[]
}

export type TaskReply<Res> =
  | { readonly ok: true; readonly result: Res }
  | { readonly ok: false; readonly error: { code: SandboxErrorCode; message: string; field?: string } }

/** Errors after which a worker is replaced: its WASM heap cannot shrink or is suspect. */
const RECYCLE: ReadonlySet<SandboxErrorCode> = new Set(['MEMORY_EXCEEDED', 'WORKER_CRASHED'])

/**
 * A fixed pool of worker threads, each owning one SEAL instance. A task
 * that overruns its deadline, crashes its worker or breaks the memory cap
 * fails with a typed error and its worker is replaced; the pool and the
 * process go on.
 */
export class WorkerPool<Req, Res> {
  readonly #init: WorkerPoolInit
  readonly #slots: Slot<Req, Res>[] = []
  readonly #queue: Task<Req, Res>[] = []
  #replay: { readonly request: Req; readonly options: RunOptions } | undefined
  #stopped = true

  constructor(init: WorkerPoolInit) {
    this.#init = init
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    for (let i = 0; i < this.#init.size; i++) this.#slots.push(this.#spawn())
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#replay = undefined
    for (const task of this.#queue.splice(0))
      task.reject(new EvaluationError('WORKER_CRASHED', 'the pool was stopped'))
    await Promise.all(
      this.#slots.splice(0).map((slot) => {
        clearTimeout(slot.timer)
        slot.task?.reject(new EvaluationError('WORKER_CRASHED', 'the pool was stopped'))
        for (const task of slot.pinned.splice(0))
          task.reject(new EvaluationError('WORKER_CRASHED', 'the pool was stopped'))
        return slot.worker.terminate()
      }),
    )
  }

  /** Tasks waiting for a worker. */
  get queueDepth(): number {
    return this.#queue.length
  }

  run(request: Req, options: RunOptions = {}): Promise<Res> {
    if (this.#stopped) return Promise.reject(new EvaluationError('WORKER_CRASHED', 'the pool is not started'))
    return new Promise<Res>((resolve, reject) => {
      this.#queue.push({ request, options, resolve, reject })
      this.#dispatch()
    })
  }

  /**
   * Runs `request` on every live worker, each after the task it has now, before any queued task:
   * for what each worker keeps for later tasks (SEAL's context, keys). Each run has the deadline
   * and recycling of `run`; a worker replaced meanwhile runs it too. Resolves with each worker's result.
   */
  broadcast(request: Req, options: BroadcastOptions = {}): Promise<Res[]> {
    if (this.#stopped) return Promise.reject(new EvaluationError('WORKER_CRASHED', 'the pool is not started'))
    const runOptions: RunOptions = options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }
    if (options.replay) this.#replay = { request, options: runOptions }
    const runs = this.#slots.map(
      (slot) =>
        new Promise<Res>((resolve, reject) => {
          slot.pinned.push({ request, options: runOptions, resolve, reject })
        }),
    )
    this.#dispatch()
    return Promise.all(runs)
  }

  #spawn(pinned: Task<Req, Res>[] = []): Slot<Req, Res> {
    const worker = new Worker(this.#init.script, {
      workerData: this.#init.workerData,
      ...(this.#init.resourceLimits ? { resourceLimits: this.#init.resourceLimits } : {}),
    })
    const slot: Slot<Req, Res> = { worker, pinned }
    worker.on('message', (reply: TaskReply<Res>) => {
      const task = this.#finish(slot)
      if (!task) return
      if (reply.ok) task.resolve(reply.result)
      else {
        const e = reply.error
        const error = new EvaluationError(
          e.code,
          e.message,
          e.field === undefined ? undefined : { field: e.field },
        )
        if (RECYCLE.has(e.code)) this.#replace(slot, task)
        task.reject(error)
      }
      this.#dispatch()
    })
    const crashed = (why: string) => {
      const task = this.#finish(slot)
      this.#replace(slot, task)
      task?.reject(new EvaluationError('WORKER_CRASHED', `the worker died: ${why}`))
      this.#dispatch()
    }
    worker.on('error', (e: unknown) => crashed(describe(e)))
    worker.on('exit', (code) => {
      if (!this.#stopped && this.#slots.includes(slot)) crashed(`exit code ${code}`)
    })
    worker.unref()
    return slot
  }

  #finish(slot: Slot<Req, Res>): Task<Req, Res> | undefined {
    clearTimeout(slot.timer)
    const task = slot.task
    delete slot.task
    delete slot.timer
    return task
  }

  /** Replaces a worker that failed `failed`: its replacement inherits the broadcasts it had not run yet. */
  #replace(slot: Slot<Req, Res>, failed?: Task<Req, Res>): void {
    const i = this.#slots.indexOf(slot)
    if (i < 0) return
    this.#slots.splice(i, 1)
    void slot.worker.terminate()
    if (failed?.replayed) this.#replay = undefined
    if (this.#stopped) return
    const pinned = slot.pinned.splice(0)
    const replay = this.#replay
    if (replay && !pinned.some((t) => t.request === replay.request)) {
      // Nobody awaits a replay: its result only stays in the worker.
      pinned.unshift({ ...replay, resolve: () => {}, reject: () => {}, replayed: true })
    }
    this.#slots.push(this.#spawn(pinned))
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.task) continue
      const task = slot.pinned.shift() ?? this.#queue.shift()
      if (!task) continue
      slot.task = task
      const { deadlineMs, transfer } = task.options
      if (deadlineMs !== undefined) {
        slot.timer = setTimeout(() => {
          const late = this.#finish(slot)
          this.#replace(slot, late)
          late?.reject(
            new EvaluationError('DEADLINE_EXCEEDED', `the job ran past its deadline of ${deadlineMs} ms`),
          )
          this.#dispatch()
        }, deadlineMs)
      }
      slot.worker.ref()
      slot.worker.postMessage(task.request, transfer ? [...transfer] : undefined)
    }
    for (const slot of this.#slots) if (!slot.task) slot.worker.unref()
  }
}

/** Worker side: answers each request with the handler's result or its typed error. */
export function errorReply(e: unknown): TaskReply<never> {
  if (e instanceof SandboxError) {
    return {
      ok: false,
      error: { code: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) },
    }
  }
  return { ok: false, error: { code: 'WORKER_CRASHED', message: describe(e) } }
}
