import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { TcfError } from '../errors.ts'
import { freePorts } from './free-ports.ts'

/** The first accounts of the dev chain's default mnemonic (anvil's, hardhat's), funded with 10,000 ETH each. */
export const DEV_PRIVATE_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
] as const

export class DevChainError extends TcfError {
  readonly code = 'DEV_CHAIN_START_FAILED'
  override readonly name = 'DevChainError'
}

export interface DevChain {
  readonly rpcUrl: string
  readonly chainId: bigint
  readonly provider: JsonRpcProvider
  /** the anvil process when this one started it (benchmarks read its CPU time) */
  readonly pid?: number | undefined
  /** Funded signer for DEV_PRIVATE_KEYS[index]. */
  wallet(index: number): Wallet
  stop(): Promise<void>
}

export interface DevChainOptions {
  readonly port?: number
  readonly startTimeoutMs?: number
  /**
   * Also mine an (empty) block this often, on top of one per transaction. Nodes read the chain a
   * few blocks below its latest, so a quiet chain must still move for fresh escrows to count.
   */
  readonly intervalMiningMs?: number
}

/** The dev chain's id, the same in the process devnet, the compose devnet and the tests. */
export const DEV_CHAIN_ID = 31337

export interface AnvilArgsOptions {
  readonly host: string
  readonly port: number
  /** as DevChainOptions.intervalMiningMs */
  readonly intervalMiningMs?: number | undefined
}

/**
 * anvil's command line for a dev chain: chain id 31337 and the default funded
 * accounts; one block per transaction and, with `intervalMiningMs`, an empty
 * block that often when idle (`--mixed-mining`: anvil's `evm_setIntervalMining`
 * would turn off mining per transaction). `--quiet`: anvil logs every call,
 * and nobody reads that pipe.
 */
export function anvilArgs(options: AnvilArgsOptions): string[] {
  const args = ['--host', options.host, '--port', String(options.port), '--chain-id', String(DEV_CHAIN_ID)]
  if (options.intervalMiningMs !== undefined) {
    if (!(options.intervalMiningMs >= 1))
      throw new RangeError(`interval mining of ${options.intervalMiningMs} ms`)
    args.push('--block-time', String(options.intervalMiningMs / 1000), '--mixed-mining')
  }
  args.push('--quiet')
  return args
}

const ANVIL_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' }

/**
 * The anvil binary of this platform, from `@foundry-rs/anvil`'s per-platform
 * package (a dev dependency). Resolved when a chain starts, not when the module
 * loads: the deploy step imports DEV_PRIVATE_KEYS from here in an image without it.
 */
export function anvilBinary(): string {
  const arch = ANVIL_ARCH[process.arch]
  const name = `@foundry-rs/anvil-${process.platform}-${arch ?? process.arch}`
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${name}/package.json`)), 'bin', 'anvil')
  } catch (cause) {
    throw new DevChainError(
      `no anvil for ${process.platform}-${process.arch}: ${name} is not installed (npm ci)`,
      {
        cause,
      },
    )
  }
}

/** Starts anvil on 127.0.0.1 and resolves once it answers JSON-RPC. */
export async function startDevChain(options: DevChainOptions = {}): Promise<DevChain> {
  const port = options.port ?? (await freePorts(1))[0]!
  const rpcUrl = `http://127.0.0.1:${port}`
  const args = anvilArgs({ host: '127.0.0.1', port, intervalMiningMs: options.intervalMiningMs })
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (chunk: Buffer): void => {
    // Only the head matters for diagnosing a failed start.
    if (output.length < 8_000) output += chunk.toString()
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  try {
    // A binary that cannot run (wrong platform, not executable) fails the spawn itself.
    const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject))
    const chainId = await Promise.race([
      waitForRpc(rpcUrl, child, options.startTimeoutMs ?? 60_000),
      spawnFailed,
    ])
    const provider = new JsonRpcProvider(rpcUrl, undefined, {
      staticNetwork: true,
      pollingInterval: 50,
      // ethers caches identical calls for 250 ms, so back-to-back sends would reuse a stale nonce.
      cacheTimeout: -1,
    })
    return {
      rpcUrl,
      chainId,
      provider,
      pid: child.pid,
      wallet: (index) => {
        const key = DEV_PRIVATE_KEYS[index]
        if (key === undefined) throw new RangeError(`no dev account ${index}`)
        return new Wallet(key, provider)
      },
      stop: async () => {
        provider.destroy()
        await killChild(child)
      },
    }
  } catch (error) {
    await killChild(child)
    throw new DevChainError(`anvil did not start on ${rpcUrl}: ${String(error)}\n${output}`)
  }
}

async function waitForRpc(rpcUrl: string, child: ChildProcess, timeoutMs: number): Promise<bigint> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new DevChainError(`exited with code ${child.exitCode}`)
    try {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        // Something else on the port may accept and never answer.
        signal: AbortSignal.timeout(2_000),
      })
      const body = (await response.json()) as { result?: string }
      if (typeof body.result === 'string') return BigInt(body.result)
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new DevChainError(`no JSON-RPC answer within ${timeoutMs} ms`)
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}
