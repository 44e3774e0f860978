/**
 * Freezes a parsed value and every plain object and array in it, so a value shared after it was
 * checked cannot change under whoever relies on that check. Typed arrays are left as they are (the
 * engine refuses to freeze one with elements).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value))
    return value
  Object.freeze(value)
  for (const member of Object.values(value)) deepFreeze(member)
  return value
}

/** Whether a value and every plain object and array in it are frozen: nothing in it can change. */
export function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return true
  if (!Object.isFrozen(value)) return false
  for (const member of Object.values(value)) if (!isDeepFrozen(member)) return false
  return true
}
