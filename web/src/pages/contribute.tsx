import sealWasmUrl from 'tcf-seal-wasm?url'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { submitContribution } from '../../../node/sdk/index.ts'
import { addressOfPrivateKey, blobIdOf, type Hex32 } from '../../../protocol/index.ts'
import type { PoolRecord } from '../../../sandbox/contribution/browser.ts'
import { Facts, Hash, Section } from '../components/ui.tsx'
import { WebError } from '../errors.ts'
import { client, messageOf } from '../node.ts'

const HEX32 = /^0x[0-9a-f]{64}$/

let wasm: Promise<Uint8Array> | undefined
/** node-seal's WASM, fetched once from the node that served the page. */
const sealWasm = (): Promise<Uint8Array> => {
  wasm ??= fetch(sealWasmUrl).then(async (r) => {
    if (!r.ok) throw new WebError('BAD_RESPONSE', `node-seal's WASM: HTTP ${r.status}`)
    return new Uint8Array(await r.arrayBuffer())
  })
  return wasm
}

const fromBase64 = (text: string): Uint8Array =>
  Uint8Array.from(atob(text.replace(/\s+/g, '')), (c) => c.charCodeAt(0))

function toBase64(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 0x8000) out += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(out)
}

/** A header line naming the schema's columns, then one record per line (no quoting: cells hold no commas). */
function readRecords(csv: string): PoolRecord[] {
  const [header, ...lines] = csv
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  if (header === undefined) throw new WebError('BAD_RECORDS', 'no header line')
  const names = header.split(',').map((c) => c.trim())
  return lines.map((line) => {
    const cells = line.split(',').map((c) => c.trim())
    return Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']))
  })
}

/** What the node answered to the signed contribution: its ids, or its refusal's code and message. */
type Answer =
  | {
      readonly accepted: {
        readonly contributionId: Hex32
        readonly window: number
        readonly sequence: number
      }
    }
  | { readonly refused: string }

interface Made {
  readonly bytes: Uint8Array
  readonly blobId: Hex32
  readonly layoutId: Hex32
  readonly records: number
  readonly ms: number
  readonly contributor: string | undefined
}

/**
 * A contributor's page: its records encrypted in this browser (node-seal's WASM) under the pool's
 * committee key, at the lowest level, exactly as `tcf pool contribute` does. Nothing but the
 * ciphertext leaves the page; the signing key stays in its memory.
 */
export function ContributePage() {
  const [poolId, setPoolId] = useState('')
  const [layoutText, setLayoutText] = useState('')
  const [keyId, setKeyId] = useState('')
  const [publicKey, setPublicKey] = useState('')
  const [csv, setCsv] = useState('')
  const [signingKey, setSigningKey] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const [made, setMade] = useState<Made | undefined>()
  const [answer, setAnswer] = useState<Answer | undefined>()
  const sending = HEX32.test(poolId) && signingKey.trim() !== ''

  const encrypt = async () => {
    setBusy(true)
    setError(undefined)
    setMade(undefined)
    setAnswer(undefined)
    try {
      if (!HEX32.test(keyId))
        throw new WebError('BAD_KEY', 'the committee key id is not 0x and 64 hex digits')
      const key = signingKey.trim()
      if (key !== '' && !HEX32.test(key))
        throw new WebError('BAD_KEY', 'the signing key is not 0x and 64 hex digits')
      let json: unknown
      try {
        json = JSON.parse(layoutText)
      } catch (e) {
        throw new WebError('BAD_LAYOUT', `the pool layout is not JSON (${messageOf(e)})`)
      }
      // SEAL and the contributor's code load with this page only, not with every page of the app.
      const { Contributor, contributorContext, layoutIdOf, readPoolLayout } = await import(
        '../../../sandbox/contribution/browser.ts'
      )
      const layout = readPoolLayout(json)
      const records = readRecords(csv)
      const ctx = await contributorContext(await sealWasm(), layout.profile)
      const start = performance.now()
      const contributor = new Contributor(ctx, layout, {
        id: keyId as Hex32,
        publicKey: fromBase64(publicKey),
      })
      let bytes: Uint8Array
      try {
        bytes = contributor.encrypt(records)
        setMade({
          bytes,
          blobId: blobIdOf(bytes),
          layoutId: layoutIdOf(layout),
          records: records.length,
          ms: performance.now() - start,
          contributor: key === '' ? undefined : addressOfPrivateKey(key as Hex32),
        })
      } finally {
        contributor.delete()
      }
      // Signed here with the key the page holds (EIP-712, the chain's domain) and sent to the node that
      // served the page; the key never leaves the page, only the claim's signature does.
      if (sending) {
        try {
          const sent = await submitContribution(client(), poolId as Hex32, bytes, key as Hex32)
          setAnswer({ accepted: sent })
        } catch (e) {
          setAnswer({ refused: refusalOf(e) })
        }
      }
    } catch (e) {
      setError(refusalOf(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Section title="Contribute to a pool">
      <p class="muted">
        Your records are encrypted here, in this page, under the pool's committee key: no one, the nodes
        included, can read one contribution. Only certified aggregates over at least the pool's minimum of
        contributors are ever decrypted.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void encrypt()
        }}
      >
        <label>
          pool id
          <input
            name="pool"
            value={poolId}
            onInput={(e) => setPoolId(e.currentTarget.value.trim())}
            size={68}
          />
        </label>
        <label>
          pool layout (JSON, from the pool's manifest)
          <textarea
            name="layout"
            rows={4}
            value={layoutText}
            onInput={(e) => setLayoutText(e.currentTarget.value)}
          />
        </label>
        <label>
          committee key id
          <input
            name="key-id"
            value={keyId}
            onInput={(e) => setKeyId(e.currentTarget.value.trim())}
            size={68}
          />
        </label>
        <label>
          committee public key (base64 SEAL bytes)
          <textarea
            name="public-key"
            rows={2}
            value={publicKey}
            onInput={(e) => setPublicKey(e.currentTarget.value)}
          />
        </label>
        <label>
          your records (CSV: a header of the pool's columns, one record per line)
          <textarea name="records" rows={6} value={csv} onInput={(e) => setCsv(e.currentTarget.value)} />
        </label>
        <label>
          signing key (kept in this page, never sent; signs the claim that names you as the contributor)
          <input
            name="signing-key"
            type="password"
            value={signingKey}
            onInput={(e) => setSigningKey(e.currentTarget.value)}
            size={68}
          />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'encrypting…' : sending ? 'encrypt, sign and send' : 'encrypt'}
        </button>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {answer ? <NodeAnswer answer={answer} /> : null}
      {made ? <Contribution made={made} poolId={poolId} /> : null}
    </Section>
  )
}

/** A typed error as `CODE: message`; the node's own code (its intake's) where it gave one. */
function refusalOf(e: unknown): string {
  const fields = e instanceof Error ? (e as Error & { apiCode?: unknown; code?: unknown }) : undefined
  const code =
    typeof fields?.apiCode === 'string' ? fields.apiCode : typeof fields?.code === 'string' ? fields.code : ''
  return `${code ? `${code}: ` : ''}${messageOf(e)}`
}

function NodeAnswer({ answer }: { answer: Answer }) {
  if ('refused' in answer) {
    return (
      <p class="error" role="alert" data-testid="node-answer">
        the node refused the contribution: {answer.refused}
      </p>
    )
  }
  const { contributionId, window, sequence } = answer.accepted
  return (
    <p data-testid="node-answer">
      accepted by the node: contribution <Hash value={contributionId} />, window {window}, sequence {sequence}
      . It joins the pool's log once a block admits it.
    </p>
  )
}

function Contribution({ made, poolId }: { made: Made; poolId: string }) {
  // One object URL per contribution, released when the page shows another or leaves.
  const download = useMemo(
    () => URL.createObjectURL(new Blob([made.bytes as BlobPart], { type: 'application/octet-stream' })),
    [made],
  )
  useEffect(() => () => URL.revokeObjectURL(download), [download])
  return (
    <section aria-label="contribution">
      <Facts
        rows={[
          ['pool', poolId === '' ? '—' : <Hash value={poolId} />],
          ['contributor', made.contributor ? <Hash value={made.contributor} /> : 'no signing key given'],
          ['records', made.records],
          ['size', <span data-testid="size">{made.bytes.length.toLocaleString('en-US')} bytes</span>],
          ['sha256 (blob id)', <Hash value={made.blobId} />],
          ['layout id', <Hash value={made.layoutId} />],
          ['encrypted in', `${Math.round(made.ms)} ms`],
        ]}
      />
      <p>
        <a href={download} download="contribution.tcfp">
          download the contribution
        </a>
      </p>
      <textarea
        data-testid="contribution"
        aria-label="the contribution, base64"
        readOnly
        rows={3}
        value={toBase64(made.bytes)}
      />
    </section>
  )
}
