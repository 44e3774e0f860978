import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isError, JsonRpcProvider } from 'ethers'
import { afterEach, describe, expect, it } from 'vitest'
import { DEV_CHAIN_ID, freePorts } from '../../protocol/index.ts'
import { useTestChain } from '../../protocol/testing/test-chain.ts'
import { isTransient } from '../chain/retry.ts'
import { NodeRpcProvider } from './node-rpc-provider.ts'

const t = useTestChain({ validators: 1 })
const servers: Server[] = []
const providers: JsonRpcProvider[] = []
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

const provider = (url: string, timeoutMs?: number) => {
  // The chain's id given: a failing endpoint is never asked for it (ethers would retry that forever).
  const p = new NodeRpcProvider(url, DEV_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 }, timeoutMs)
  providers.push(p)
  return p
}

/** A JSON-RPC endpoint on loopback that answers every request with `answer`. */
async function endpoint(answer: (res: import('node:http').ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => answer(res))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('NodeRpcProvider', () => {
  it("reads what ethers' own provider reads, batched requests included", async () => {
    const lean = provider(t.chain.rpcUrl)
    const reference = new JsonRpcProvider(t.chain.rpcUrl, DEV_CHAIN_ID, {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    providers.push(reference)
    const address = t.chain.wallet(0).address
    const code = t.net.addresses.jobMarket
    // Sent together: ethers batches them into one request of several payloads.
    const read = (p: JsonRpcProvider) =>
      Promise.all([
        p.getBlockNumber(),
        p.getBalance(address),
        p.getCode(code),
        p.getTransactionCount(address),
      ])
    expect(await read(lean)).toEqual(await read(reference))
  })

  it('surfaces a revert and a refused call as ethers does', async () => {
    const lean = provider(t.chain.rpcUrl)
    const call = lean.call({ to: t.net.addresses.jobMarket, data: '0xdeadbeef' })
    await expect(call).rejects.toMatchObject({ code: 'CALL_EXCEPTION' })
  })

  it('fails a server error, a garbled answer, a refused connection and a silent server in ways the retry policy reads', async () => {
    const failing = provider(await endpoint((res) => res.writeHead(503).end('overloaded')))
    const serverError = await failing.getBlockNumber().catch((e: unknown) => e)
    expect(isError(serverError, 'SERVER_ERROR')).toBe(true)
    expect(isTransient(serverError)).toBe(true)

    const garbled = provider(await endpoint((res) => res.writeHead(200).end('<html>')))
    const badData = await garbled.getBlockNumber().catch((e: unknown) => e)
    expect(isError(badData, 'BAD_DATA')).toBe(true)
    expect(isTransient(badData)).toBe(false)

    const [port] = await freePorts(1)
    const refused = await provider(`http://127.0.0.1:${port}`)
      .getBlockNumber()
      .catch((e: unknown) => e)
    expect(isTransient(refused)).toBe(true)

    const silent = provider(await endpoint(() => undefined), 200)
    const timeout = await silent.getBlockNumber().catch((e: unknown) => e)
    expect(isError(timeout, 'TIMEOUT')).toBe(true)
    expect(isTransient(timeout)).toBe(true)
  })
})
