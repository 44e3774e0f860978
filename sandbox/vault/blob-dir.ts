import { readFileSync } from 'node:fs'
import { access, mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { blobIdOf, type Hex32 } from '../../protocol/vocabulary.ts'
import { SandboxError } from '../errors.ts'

/**
 * Content-addressed blobs in a directory: `<dir>/<sha256 hex>`. Writes go
 * through a temporary name and a rename, so a blob file either is complete
 * or does not exist; reads check the hash, so a corrupted file is caught.
 */
export function blobPath(dir: string, id: Hex32): string {
  return join(dir, id.slice(2))
}

export async function putBlob(dir: string, bytes: Uint8Array): Promise<Hex32> {
  const id = blobIdOf(bytes)
  const path = blobPath(dir, id)
  try {
    await access(path)
    return id
  } catch {
    await mkdir(dir, { recursive: true })
    const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
    // Synced before the rename publishes it: after a crash the name never points at a torn file.
    await writeSynced(tmp, bytes)
    await rename(tmp, path)
    return id
  }
}

/** Writes a file and fsyncs it before returning. */
export async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const file = await open(path, 'w')
  try {
    await file.writeFile(data)
    await file.sync()
  } finally {
    await file.close()
  }
}

export async function getBlob(dir: string, id: Hex32): Promise<Uint8Array> {
  return checked(id, await readOrMissing(() => readFile(blobPath(dir, id)), id))
}

export function getBlobSync(dir: string, id: Hex32): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(blobPath(dir, id))
  } catch (cause) {
    throw new SandboxError('BLOB_MISSING', `blob ${id} is not in ${dir}`, { field: id, cause })
  }
  return checked(id, bytes)
}

async function readOrMissing(read: () => Promise<Uint8Array>, id: Hex32): Promise<Uint8Array> {
  try {
    return await read()
  } catch (cause) {
    throw new SandboxError('BLOB_MISSING', `blob ${id} is missing`, { field: id, cause })
  }
}

function checked(id: Hex32, bytes: Uint8Array): Uint8Array {
  const actual = blobIdOf(bytes)
  if (actual !== id)
    throw new SandboxError('BLOB_CORRUPT', `blob ${id} has content hashing to ${actual}`, { field: id })
  return bytes
}
