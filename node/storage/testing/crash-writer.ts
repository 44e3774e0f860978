// Child process of crash.test.ts: commits blocks as a node would, forever, until it is SIGKILLed.
// Height h admits job h and fails job h-1; before committing h it logs 3 WAL entries for h, syncs,
// and says so on stdout, then stores a large blob (a file) for h; the commit prunes the WAL below h and moves `head` to h's decided record. Started again on the same directory it
// carries on from the stored state, recovering a height whose WAL entries are already there.
import { blobIdOf, decidedRecordCodec, type Hex32, hex32Schema, jobIdOf } from '../../../protocol/index.ts'
import { createNodeStore, HEAD_KEY } from '../node-store.ts'
import { block, certificate, jobRecord, largeBlob, lockEntry, signedRequest, voteEntry } from './fixtures.ts'

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: crash-writer.ts DIR')
const store = createNodeStore({ dir })
await store.open()
let head: Hex32 | null = ((await store.getMeta(HEAD_KEY, hex32Schema)) as Hex32 | undefined) ?? null

for (let height = store.latestHeight() + 1; ; height++) {
  if (store.wal.entries(height).length === 0) {
    store.wal.append(voteEntry(height, 0))
    store.wal.append(voteEntry(height, 1))
    store.wal.append(lockEntry(height))
  }
  await store.wal.sync()
  process.stdout.write(`wal ${height}\n`)
  const admitted = signedRequest(height)
  const failing = signedRequest(height - 1)
  const b = block(height, { admitted: [admitted], failed: height > 1 ? [jobIdOf(failing.request)] : [] })
  const updates = [jobRecord(admitted, 'admitted', { admittedHeight: height })]
  if (height > 1)
    updates.push(jobRecord(failing, 'failed', { admittedHeight: height - 1, failedHeight: height }))
  // As an executor stores a job's result bundle before any record names it: a blob file.
  const bundle = largeBlob(height)
  await store.blobs.put(blobIdOf(bundle), bundle)
  const bytes = decidedRecordCodec.encode({ version: 1, block: b, certificate: certificate(b), prev: head })
  const id = blobIdOf(bytes)
  await store.commitBlock(height, b, certificate(b), updates, height, { id, bytes })
  head = id
  process.stdout.write(`block ${height}\n`)
}
