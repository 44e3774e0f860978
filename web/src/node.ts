import { useEffect, useRef, useState } from 'preact/hooks'
import { Client } from '../../node/sdk/index.ts'

/** The node that served this page: the app talks to it alone, through the SDK, at the same origin. */
export const nodeUrl = (): string => location.origin

let reader: Client | undefined
/** A keyless client for reads; the chain it reports is connected once (for validator sets, stakes, owners). */
export const client = (): Client => {
  reader ??= new Client({ url: nodeUrl() })
  return reader
}

export interface Polled<T> {
  readonly data: T | undefined
  readonly error: string | undefined
  /** when data last arrived */
  readonly at: number | undefined
}

/** `load` now and every `intervalMs` while the page shows; the last good answer stays on an error. */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: readonly unknown[]): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, at: undefined })
  const loadRef = useRef(load)
  loadRef.current = load
  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    setState({ data: undefined, error: undefined, at: undefined })
    const tick = async () => {
      try {
        const data = await loadRef.current()
        if (!stopped) setState({ data, error: undefined, at: Date.now() })
      } catch (e) {
        if (!stopped) setState((s) => ({ ...s, error: messageOf(e) }))
      }
      if (!stopped && intervalMs > 0) timer = setTimeout(tick, intervalMs)
    }
    void tick()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, deps)
  return state
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))
