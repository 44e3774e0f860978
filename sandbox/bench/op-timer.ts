import type { CKKSEncoder, Evaluator } from 'node-seal'
import type { HeContext } from '../he/seal.ts'

/** The HE operations a job is made of: what native SEAL would still have to do. */
export type OpKind =
  | 'encode'
  | 'add'
  | 'multiply'
  | 'multiplyPlain'
  | 'relinearize'
  | 'rescale'
  | 'modSwitch'
  | 'rotate'
  | 'decrypt'

export type OpTally = Record<OpKind, { count: number; ms: number }>

const KIND_OF: ReadonlyArray<readonly [RegExp, OpKind]> = [
  [/^multiplyPlain/, 'multiplyPlain'],
  [/^multiply/, 'multiply'],
  [/^(add|sub)/, 'add'],
  [/^relinearize/, 'relinearize'],
  [/^rescale/, 'rescale'],
  [/^(cipherModSwitch|plainModSwitch|modSwitch)/, 'modSwitch'],
  [/^rotate/, 'rotate'],
  [/^encode/, 'encode'],
]

export function emptyTally(): OpTally {
  const kinds: OpKind[] = [
    'encode',
    'add',
    'multiply',
    'multiplyPlain',
    'relinearize',
    'rescale',
    'modSwitch',
    'rotate',
    'decrypt',
  ]
  return Object.fromEntries(kinds.map((k) => [k, { count: 0, ms: 0 }])) as OpTally
}

export function essentialMs(tally: OpTally): number {
  return Object.values(tally).reduce((a, t) => a + t.ms, 0)
}

/**
 * The same context with its evaluator and encoder timing every HE operation
 * one by one into `tally`. Wrapping, not re-implementing: the job runs the
 * exact op sequence it always runs, so the sum of these timings is the
 * job's essential work and the rest of its wall time is overhead.
 */
export function timedContext(ctx: HeContext, tally: OpTally): HeContext {
  return { ...ctx, evaluator: timed(ctx.evaluator, tally), encoder: timed(ctx.encoder, tally) }
}

/** Times one call as an essential op of `kind`. */
export function timeOp<T>(tally: OpTally, kind: OpKind, fn: () => T): T {
  const started = performance.now()
  try {
    return fn()
  } finally {
    tally[kind].count++
    tally[kind].ms += performance.now() - started
  }
}

function timed<T extends Evaluator | CKKSEncoder>(target: T, tally: OpTally): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown
      if (typeof prop !== 'string' || typeof value !== 'function') return value
      const kind = KIND_OF.find(([re]) => re.test(prop))?.[1]
      const fn = value as (...args: unknown[]) => unknown
      // Embind methods need the real object as `this`, never the proxy.
      if (!kind) return (...args: unknown[]) => fn.apply(obj, args)
      return (...args: unknown[]) => timeOp(tally, kind, () => fn.apply(obj, args))
    },
  })
}
