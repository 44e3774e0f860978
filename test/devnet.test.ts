import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { withDevnetPorts } from './support/port-lock.ts'

const run = promisify(execFile)
const repo = new URL('..', import.meta.url).pathname

/** The README's main command, as CI runs it: the whole system, end to end, judged by its own checks. */
describe('npm run devnet -- --headless', () => {
  it('releases the demo job with every result within its stated error of the plaintext truth, and pays for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tcf-devnet-'))
    try {
      // The compose devnet test publishes the same fixed ports.
      const { stdout } = await withDevnetPorts(() =>
        run('npm', ['run', '-s', 'devnet', '--', '--headless', '--dir', dir], {
          cwd: repo,
          timeout: 300_000,
          maxBuffer: 16 * 2 ** 20,
        }),
      ).catch((e: { message: string; stdout?: string; stderr?: string }) => {
        // The devnet's own account of what went wrong, not only "Command failed".
        const tail = (text = '') => text.trim().split('\n').slice(-25).join('\n')
        throw new Error(`${e.message}\n--- stdout\n${tail(e.stdout)}\n--- stderr\n${tail(e.stderr)}`)
      })
      const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        ok: boolean
        checks: { output: string; ok: boolean }[]
        quality: { score: number }
        anchorTx?: { txHash: string }
        heights: { certified: number; released?: number }
        settlement: {
          status: string
          txHash: string
          byNode: boolean
          owner?: { address: string; amount: string }
          validators: { address: string; amount: string }[]
        }
      }
      expect(report.checks.filter((c) => !c.ok)).toEqual([])
      expect(report.checks.length).toBe(9)
      expect(report.quality.score).toBeGreaterThan(0.9)
      expect(report.anchorTx?.txHash).toMatch(/^0x[0-9a-f]{64}$/)
      expect(report.heights.released).toBeGreaterThan(report.heights.certified)
      // The validators settled the escrow on their own: the seller was paid, the validators too.
      expect(report.settlement).toMatchObject({ status: 'paid', byNode: true })
      expect(report.settlement.txHash).toMatch(/^0x[0-9a-f]{64}$/)
      expect(BigInt(report.settlement.owner!.amount)).toBeGreaterThan(0n)
      expect(report.settlement.validators.length).toBeGreaterThanOrEqual(3)
      for (const v of report.settlement.validators) expect(BigInt(v.amount)).toBeGreaterThan(0n)
      expect(report.ok).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 900_000)
})
