import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { createNodeStore, type NodeStore } from '../node-store.ts'

/** Gives each test a store open on a fresh temporary directory, closed and deleted afterwards. */
export function useTempStore(prefix: string) {
  let dir = ''
  let store: NodeStore | undefined
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix))
    store = createNodeStore({ dir })
    await store.open()
  })
  afterEach(async () => {
    await store?.close()
    await rm(dir, { recursive: true, force: true })
  })
  return {
    get dir() {
      return dir
    },
    get store(): NodeStore {
      if (store === undefined) throw new Error('useTempStore: no test is running')
      return store
    },
    /** Closes the store and opens a new one on the same directory, as a restarted node would. */
    async reopen() {
      await store?.close()
      store = createNodeStore({ dir })
      await store.open()
    },
    /** Replaces the store (e.g. after closing it to touch the files underneath). */
    set(next: NodeStore) {
      store = next
    },
  }
}
