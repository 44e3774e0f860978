import { type BytesLike, getBytes, hexlify, Signature, SigningKey } from 'ethers'
import { type Hex32, signDigest } from '../../protocol/index.ts'

/**
 * An ethers SigningKey that signs through the protocol's curve engine: libsecp256k1 where a
 * daemon-side process installed it (the CLI, the bench), noble otherwise. Both sign RFC 6979 with
 * low s, as ethers does, so a transaction's signature is the same bytes; a buyer's escrow
 * transaction signed in ethers' own JS was ~20 ms of each job in the bench process under load.
 */
export class EngineSigningKey extends SigningKey {
  override sign(digest: BytesLike): Signature {
    return Signature.from(signDigest(this.privateKey as Hex32, hexlify(getBytes(digest, 'digest')) as Hex32))
  }
}
