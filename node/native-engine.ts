/** Which engine a process kept: an addon's, or the reference it stayed on and why. */
export type EngineChoice<Reference extends string> =
  | { engine: string }
  | { engine: Reference; reason: string }

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b)

/**
 * Installs an addon's engine only once it agrees with the reference engine on the probes. Where
 * the addon cannot load (a platform without a prebuild) or disagrees, the process keeps the
 * reference: slower, never wrong.
 */
export function installNative<E extends { readonly name: string }, R extends string>(native: {
  /** the addon's name in the reason given when it is not used */
  readonly addon: string
  readonly reference: R
  readonly build: () => E
  readonly agrees: (engine: E) => boolean
  readonly install: (engine: E) => void
}): EngineChoice<R> {
  const { addon, reference } = native
  let engine: E
  try {
    engine = native.build()
    if (!native.agrees(engine)) {
      return { engine: reference, reason: `the ${addon} addon disagreed with ${reference} on the probes` }
    }
  } catch (e) {
    return { engine: reference, reason: `the ${addon} addon did not load: ${(e as Error).message}` }
  }
  native.install(engine)
  return { engine: engine.name }
}
