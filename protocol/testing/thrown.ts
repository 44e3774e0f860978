/**
 * The error `run` throws, which must be a `type`: another error, or none, fails the test with a
 * message naming what was expected. Tests of typed errors read `thrown(DecodeError, ...).code`.
 */
export function thrown<E extends Error>(type: new (...args: never[]) => E, run: () => unknown): E {
  try {
    run()
  } catch (error) {
    if (error instanceof type) return error
    throw new Error(`expected a ${type.name}, got ${String(error)}`, { cause: error })
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`)
}
