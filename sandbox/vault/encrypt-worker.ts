import { workerData } from 'node:worker_threads'
import { packCiphertext } from '../he/packed.ts'
import { heContext } from '../he/seal.ts'
import { loadInto } from '../he/serialize.ts'
import { serveTasks } from '../pool/serve.ts'
import { encodeBlock } from './csv.ts'
import type { EncryptRequest, EncryptResult, EncryptWorkerData } from './encrypt-task.ts'

const { profile, secretKey: secretKeyBytes, schema } = workerData as EncryptWorkerData
const ctx = await heContext(profile)
const secretKey = loadInto(ctx, () => new ctx.seal.SecretKey(), secretKeyBytes, 'secret key', 'KEY_INVALID')
secretKeyBytes.fill(0)
// Symmetric (secret-key) encryption: the owner encrypts its own data, and
// SEAL can then replace half of each ciphertext by a PRNG seed.
// SEAL's Encryptor wants a valid public key too; one derived here is never used.
const keygen = new ctx.seal.KeyGenerator(ctx.context, secretKey)
const encryptor = new ctx.seal.Encryptor(ctx.context, keygen.createPublicKey(), secretKey)
const plain = new ctx.seal.Plaintext()

const decoder = new TextDecoder()

serveTasks<EncryptRequest, EncryptResult>(
  ({ text, firstLine, header }) => {
    // Parsed here, not on the main thread: the workers share the CSV's cost between the cores.
    const { columns, count } = encodeBlock(
      decoder.decode(text),
      schema,
      header,
      firstLine,
      ctx.profile.slotCount,
    )
    const blobs = columns.map((values) => {
      ctx.encoder.encode(values, ctx.scale, plain)
      const ct = encryptor.encryptSymmetricSerializable(plain)
      try {
        // Bit-packed residues: smaller than zstd, and no compression to pay for.
        return packCiphertext(ctx.profile, ct.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array)
      } finally {
        ct.delete()
      }
    })
    return { blobs, count }
  },
  ({ blobs }) => blobs.map((b) => b.buffer as ArrayBuffer),
)
