import { BrowserProvider, type Eip1193Provider } from 'ethers'
import { generateSealingKey, type SealingKeyPair } from '../../node/sdk/index.ts'
import {
  connectJobMarket,
  ethersDomain,
  type Hex,
  type Hex32,
  JOB_REQUEST_TYPES,
  type JobRequest,
  jobIdOf,
  jobRequestFields,
  ROUTES,
  type SignedJobRequest,
  specHash,
} from '../../protocol/index.ts'
import { WebError } from './errors.ts'
import { client } from './node.ts'

/** The wallet a browser extension injects (EIP-1193), if any. */
export const injectedWallet = (): Eip1193Provider | undefined =>
  (globalThis as { ethereum?: Eip1193Provider }).ethereum

const DEADLINE_HEIGHTS = 600
const ESCROW_SECONDS = 2 * 60 * 60

/**
 * A job submitted with the buyer's own wallet: the same request the SDK's Client.submitJob builds,
 * signed by the wallet (eth_signTypedData_v4) and escrowed by a transaction the wallet sends. The
 * app never sees the wallet's key; the sealing key is made here and stays in this page.
 */
export async function submitWithWallet(
  ethereum: Eip1193Provider,
  vaultId: Hex32,
  spec: unknown,
): Promise<{ jobId: Hex32; sealingKey: SealingKeyPair; escrowTx: Hex32 }> {
  const c = client()
  const [status, chain] = await Promise.all([c.status(), c.chain()])
  const provider = new BrowserProvider(ethereum)
  const signer = await provider.getSigner()
  const network = await provider.getNetwork()
  if (network.chainId !== BigInt(status.chain.chainId))
    throw new WebError(
      'WALLET_CHAIN_MISMATCH',
      `the wallet is on chain ${network.chainId}; this network runs on chain ${status.chain.chainId}`,
    )
  const vault = await chain.vaults.vault(vaultId)
  const sealingKey = generateSealingKey()
  const nonce = crypto.getRandomValues(new Uint8Array(32))
  const request: JobRequest = {
    version: 1,
    vaultId,
    algorithm: { specHash: specHash(spec), spec: spec as JobRequest['algorithm']['spec'] },
    buyer: (await signer.getAddress()).toLowerCase() as Hex,
    maxPrice: vault.price.toString(),
    deadline: status.height + DEADLINE_HEIGHTS,
    nonce: `0x${Array.from(nonce, (b) => b.toString(16).padStart(2, '0')).join('')}`,
    sealingPublicKey: sealingKey.publicKey,
  }
  const signature = (await signer.signTypedData(
    ethersDomain(chain.domain),
    JOB_REQUEST_TYPES,
    jobRequestFields(request),
  )) as Hex
  const signed: SignedJobRequest = { version: 1, request, signature }
  const jobId = jobIdOf(request)
  const now = (await chain.provider.getBlock('latest'))?.timestamp ?? Math.floor(Date.now() / 1000)
  const escrow = await connectJobMarket(status.chain.addresses.jobMarket, signer).openJob(
    jobId,
    vaultId,
    BigInt(now + ESCROW_SECONDS),
    vault.price,
  )
  await c.api.call(ROUTES.submitJob, { body: signed })
  return { jobId, sealingKey, escrowTx: escrow.hash as Hex32 }
}
