import type { CommitCertificate } from '../protocol/index.ts'
import type { CommitCertificate as CoreCertificate } from './certificate.ts'

/** The core's certificate in its wire form: what blocks store and the Anchor verifies. */
export function toWireCertificate(epoch: number, certificate: CoreCertificate): CommitCertificate {
  return {
    version: 1,
    epoch,
    height: certificate.height,
    round: certificate.round,
    blockHash: certificate.valueId,
    precommits: certificate.precommits.map((sv) => ({
      validator: sv.vote.validator,
      signature: sv.signature,
    })),
  }
}

/** Back to the core's form, to verify it with the core's rules. */
export function fromWireCertificate(certificate: CommitCertificate): CoreCertificate {
  return {
    height: certificate.height,
    round: certificate.round,
    valueId: certificate.blockHash,
    precommits: certificate.precommits.map((p) => ({
      vote: {
        type: 'precommit',
        height: certificate.height,
        round: certificate.round,
        valueId: certificate.blockHash,
        validator: p.validator,
      },
      signature: p.signature,
    })),
  }
}
