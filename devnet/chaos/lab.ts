import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Network namespaces for the chaos run: one per validator, each joined by a
 * veth pair to a bridge in the root namespace. A validator's namespace routes
 * only to the bridge address, so validators cannot reach each other directly:
 * all their traffic goes through the relays listening there (relay.ts), which
 * is where latency and loss are applied. Addresses are in 10.213.0.0/24, a
 * range nothing else here uses.
 */
const SUBNET = '10.213.0'
const BRIDGE = 'tcfchaos0'
export const BRIDGE_ADDRESS = `${SUBNET}.1`
export const namespaceAddress = (index: number): string => `${SUBNET}.${10 + index}`
const namespace = (index: number): string => `tcf-chaos-${index}`
// Interface names are at most 15 bytes.
const hostVeth = (index: number): string => `tcfchaos0v${index}`

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 })
}

export class NetnsLab {
  readonly size: number

  private constructor(size: number) {
    this.size = size
  }

  /** Whether this process may build namespaces; the reason if not. */
  static async unavailable(): Promise<string | undefined> {
    if (process.getuid?.() !== 0) return 'needs root (ip netns, veth, bridges)'
    try {
      await run('ip', ['netns', 'list'], { timeout: 10_000 })
    } catch (error) {
      return `\`ip netns\` is unavailable: ${error instanceof Error ? error.message : String(error)}`
    }
    return undefined
  }

  static async create(size: number): Promise<NetnsLab> {
    const lab = new NetnsLab(size)
    // A run killed before its teardown leaves these behind.
    await lab.teardown()
    try {
      await ip('link', 'add', BRIDGE, 'type', 'bridge')
      await ip('addr', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', BRIDGE)
      await ip('link', 'set', BRIDGE, 'up')
      for (let i = 0; i < size; i++) {
        const ns = namespace(i)
        await ip('netns', 'add', ns)
        await ip('link', 'add', hostVeth(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
        await ip('link', 'set', hostVeth(i), 'master', BRIDGE, 'up')
        await ip('-n', ns, 'link', 'set', 'lo', 'up')
        await ip('-n', ns, 'addr', 'add', `${namespaceAddress(i)}/32`, 'dev', 'eth0')
        await ip('-n', ns, 'link', 'set', 'eth0', 'up')
        await ip('-n', ns, 'route', 'add', BRIDGE_ADDRESS, 'dev', 'eth0')
      }
      return lab
    } catch (error) {
      await lab.teardown()
      throw error
    }
  }

  /** The command prefix that runs a program inside validator `index`'s namespace. */
  exec(index: number): string[] {
    return ['ip', 'netns', 'exec', namespace(index)]
  }

  /** Cuts (or restores) validator `index`'s only link: a partition of one. */
  async setLink(index: number, up: boolean): Promise<void> {
    await ip('-n', namespace(index), 'link', 'set', 'eth0', up ? 'up' : 'down')
    // Taking a link down drops its routes; the route to the bridge must come back with it.
    if (up) await ip('-n', namespace(index), 'route', 'replace', BRIDGE_ADDRESS, 'dev', 'eth0')
  }

  /** Removes everything create() makes; safe to call on a partial or absent lab. */
  async teardown(): Promise<void> {
    for (let i = 0; i < this.size; i++) {
      // Deleting either end deletes the pair. The namespace alone is not enough: the kernel frees
      // it (and the veth in it) lazily, after the last process in it is gone.
      await ip('link', 'del', hostVeth(i)).catch(() => undefined)
      await ip('netns', 'del', namespace(i)).catch(() => undefined)
    }
    await ip('link', 'del', BRIDGE).catch(() => undefined)
  }
}
