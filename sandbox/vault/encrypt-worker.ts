import { workerData } from 'node:worker_threads'
import { SandboxError } from '../errors.ts'
import { packCiphertext } from '../he/packed.ts'
import { PROFILES } from '../he/profiles.ts'
import { buildContext, loadSeal } from '../he/seal.ts'
import { loadInto, wireBytes } from '../he/serialize.ts'
import { serveTasks } from '../pool/serve.ts'
import { complexPairs } from './complex-pairs.ts'
import { encodeBlock } from './csv.ts'
import type { EncryptRequest, EncryptResult, EncryptWorkerData } from './encrypt-task.ts'

const {
  profile,
  secretKey: secretKeyBytes,
  publicKey: publicKeyBytes,
  schema,
  valuesPerSlot,
} = workerData as EncryptWorkerData
// Encryption needs the first level only (see buildContext).
const ctx = buildContext(await loadSeal(), PROFILES[profile], { encryptionOnly: true })
const encrypt = encryptorOf(secretKeyBytes, publicKeyBytes)
const plain = new ctx.seal.Plaintext()
const slots = ctx.profile.slotCount
const pairs = valuesPerSlot === 2 ? complexPairs(ctx) : undefined

const decoder = new TextDecoder()

serveTasks<EncryptRequest, EncryptResult>(
  ({ text, firstLine, header }) => {
    // Parsed here, not on the main thread: the workers share the CSV's cost between the cores.
    const { columns, count } = encodeBlock(
      decoder.decode(text),
      schema,
      header,
      firstLine,
      slots * valuesPerSlot,
    )
    const blobs = columns.map((values) => {
      if (pairs) pairs.encode(values.subarray(0, slots), values.subarray(slots), plain)
      else ctx.encoder.encode(values, ctx.scale, plain)
      return encrypt(plain)
    })
    return { blobs, count }
  },
  ({ blobs }) => blobs.map((b) => b.buffer as ArrayBuffer),
)

/** The chunk encryption: symmetric under the owner's secret key, or public-key under a committee's. */
function encryptorOf(
  secretBytes: Uint8Array | undefined,
  publicBytes: Uint8Array | undefined,
): (plain: InstanceType<typeof ctx.seal.Plaintext>) => Uint8Array {
  if (secretBytes) {
    const secretKey = loadInto(ctx, () => new ctx.seal.SecretKey(), secretBytes, 'secret key', 'KEY_INVALID')
    secretBytes.fill(0)
    // Symmetric (secret-key) encryption: the owner encrypts its own data, and
    // SEAL can then replace half of each ciphertext by a PRNG seed.
    // SEAL's Encryptor wants a valid public key too; one derived here is never used.
    const keygen = new ctx.seal.KeyGenerator(ctx.context, secretKey)
    const encryptor = new ctx.seal.Encryptor(ctx.context, keygen.createPublicKey(), secretKey)
    return (plain) => {
      const ct = encryptor.encryptSymmetricSerializable(plain)
      try {
        // Bit-packed residues: smaller than zstd, and no compression to pay for.
        return packCiphertext(ctx.profile, ct.saveToArray(ctx.seal.ComprModeType.none) as Uint8Array)
      } finally {
        ct.delete()
      }
    }
  }
  if (!publicBytes) throw new SandboxError('KEY_INVALID', 'the encryption worker got no key')
  const publicKey = loadInto(ctx, () => new ctx.seal.PublicKey(), publicBytes, 'public key', 'KEY_INVALID')
  const encryptor = new ctx.seal.Encryptor(ctx.context, publicKey)
  const ct = new ctx.seal.Ciphertext()
  // A public-key ciphertext has no seed to pack: it is stored as SEAL's zstd bytes.
  return (plain) => {
    encryptor.encrypt(plain, ct)
    return wireBytes(ctx.seal, ct)
  }
}
