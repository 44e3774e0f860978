import { useEffect, useMemo, useState } from 'preact/hooks'
import {
  Client,
  ClientError,
  type JobPreview,
  type JobRecord,
  type JobResult,
} from '../../../node/sdk/index.ts'
import type { Hex32 } from '../../../protocol/index.ts'
import type { OpName } from '../../../sandbox/spec/index.ts'
import { ResultView } from '../components/result-view.tsx'
import { type DraftSpec, type FormColumn, SpecForm, starterSpec } from '../components/spec-form.tsx'
import { Facts, Hash, Section, Table } from '../components/ui.tsx'
import { WebError } from '../errors.ts'
import { eth, num, seconds } from '../format.ts'
import { client, messageOf, nodeUrl, usePoll } from '../node.ts'
import { href, type Route } from '../router.ts'
import { injectedWallet, submitWithWallet } from '../wallet.ts'
import { Timeline } from './job.tsx'

const PREVIEW_DEBOUNCE_MS = 300
const HEX32 = /^0x[0-9a-f]{64}$/
/** Where a sealing key is kept when, and only when, the buyer ticks "remember". */
const rememberedKey = (jobId: string) => `tcf.sealingKey.${jobId}`

type Verdict =
  | { readonly kind: 'checking' }
  | { readonly kind: 'ok'; readonly preview: JobPreview }
  | { readonly kind: 'refused'; readonly code: string; readonly message: string; readonly field?: string }

/** The node's compiler on the spec (POST /v1/vaults/:id/preview): cost and accuracy, or the refusal and its field. */
async function judge(vaultId: Hex32, spec: DraftSpec): Promise<Verdict> {
  try {
    return { kind: 'ok', preview: await client().preview(vaultId, spec) }
  } catch (e) {
    if (e instanceof ClientError && e.code === 'API_ERROR') {
      const field = e.details?.field
      return {
        kind: 'refused',
        code: e.apiCode ?? 'API_ERROR',
        message: e.message.replace(/^POST \S+: \d+ [A-Z_]+: /, ''),
        ...(typeof field === 'string' ? { field } : {}),
      }
    }
    return { kind: 'refused', code: e instanceof ClientError ? e.code : 'ERROR', message: messageOf(e) }
  }
}

const bytesToHex = (b: Uint8Array) => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`
function hexToBytes(hex: string): Uint8Array {
  const h = hex.trim().toLowerCase()
  if (!HEX32.test(h)) throw new WebError('BAD_KEY', 'a key is 0x followed by 64 hex digits')
  return Uint8Array.from(h.slice(2).match(/../g)!, (x) => Number.parseInt(x, 16))
}

/** The buyer's page: pick a vault, compose a spec, see the compiler's verdict, pay, watch, unseal. */
export function BuyerPage({ route }: { route: Route }) {
  const vaults = usePoll(() => client().vaults(), 0, [])
  const vaultId = (route.query.get('vault') ?? vaults.data?.[0]?.vaultId) as Hex32 | undefined
  const watching = route.query.get('job') as Hex32 | null
  return (
    <Section title="Buy a computation">
      <label>
        vault
        <select
          value={vaultId ?? ''}
          onChange={(e) => {
            location.hash = href.buyer(e.currentTarget.value)
          }}
        >
          {(vaults.data ?? []).map((v) => (
            <option key={v.vaultId} value={v.vaultId}>
              {v.vaultId.slice(0, 12)}… · {v.recordCount} records · {eth(v.policy.price)}
            </option>
          ))}
        </select>
      </label>
      {vaults.error ? <p class="error">{vaults.error}</p> : null}
      {watching && HEX32.test(watching) ? (
        <JobWatch jobId={watching} sealingKey={undefined} />
      ) : vaultId ? (
        <Composer key={vaultId} vaultId={vaultId} />
      ) : (
        <p class="muted">this node holds no vault yet</p>
      )}
    </Section>
  )
}

function Composer({ vaultId }: { vaultId: Hex32 }) {
  const manifest = usePoll(() => client().vault(vaultId), 0, [vaultId])
  const columns: readonly FormColumn[] = manifest.data?.schema.columns ?? []
  const ops = (manifest.data?.policy.allowedOps ?? []) as readonly OpName[]
  const [spec, setSpec] = useState<DraftSpec | undefined>(undefined)
  const [jsonText, setJsonText] = useState('')
  const [jsonError, setJsonError] = useState<string | undefined>(undefined)
  const [verdict, setVerdict] = useState<Verdict>({ kind: 'checking' })
  const [submitted, setSubmitted] = useState<{ jobId: Hex32; sealingKey: Uint8Array } | undefined>(undefined)

  const update = (next: DraftSpec) => {
    setSpec(next)
    setJsonText(JSON.stringify(next, null, 2))
    setJsonError(undefined)
  }
  useEffect(() => {
    if (manifest.data && !spec) update(starterSpec(manifest.data.schema.columns))
  })
  useEffect(() => {
    if (!spec) return
    setVerdict({ kind: 'checking' })
    let current = true
    const timer = setTimeout(() => {
      void judge(vaultId, spec).then((v) => {
        if (current) setVerdict(v)
      })
    }, PREVIEW_DEBOUNCE_MS)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [vaultId, spec])

  if (submitted) return <JobWatch jobId={submitted.jobId} sealingKey={submitted.sealingKey} />
  if (manifest.error) return <p class="error">{manifest.error}</p>
  if (!spec) return <p class="muted">loading the vault's schema…</p>
  const invalidOutput =
    verdict.kind === 'refused' && verdict.field?.startsWith('outputs.')
      ? verdict.field.split('.')[1]
      : undefined
  return (
    <div class="buyer">
      <div class="compose">
        <h3>Spec</h3>
        <SpecForm spec={spec} ops={ops} columns={columns} onChange={update} invalidOutput={invalidOutput} />
        <label class="json">
          the spec as JSON (edit either view)
          <textarea
            rows={14}
            spellcheck={false}
            value={jsonText}
            aria-invalid={jsonError !== undefined}
            onInput={(e) => {
              const text = e.currentTarget.value
              setJsonText(text)
              try {
                const parsed = JSON.parse(text) as DraftSpec
                if (typeof parsed !== 'object' || parsed === null || typeof parsed.outputs !== 'object')
                  throw new SyntaxError('a spec is an object with "outputs"')
                setSpec(parsed)
                setJsonError(undefined)
              } catch (err) {
                setJsonError(messageOf(err))
              }
            }}
          />
        </label>
        {jsonError ? <p class="error">JSON: {jsonError}</p> : null}
      </div>
      <div class="verdict">
        <h3>Compiler's verdict</h3>
        <VerdictView verdict={verdict} />
        <Pay
          vaultId={vaultId}
          spec={spec}
          ready={verdict.kind === 'ok' && verdict.preview.admissible}
          onSubmitted={setSubmitted}
        />
      </div>
    </div>
  )
}

function VerdictView({ verdict }: { verdict: Verdict }) {
  if (verdict.kind === 'checking')
    return (
      <p class="muted" aria-live="polite">
        checking…
      </p>
    )
  if (verdict.kind === 'refused')
    return (
      <div class="refusal" role="alert" data-testid="refusal">
        <p>
          refused: <strong data-testid="refusal-code">{verdict.code}</strong>
          {verdict.field ? (
            <>
              {' '}
              at <code data-testid="refusal-field">{verdict.field}</code>
            </>
          ) : null}
        </p>
        <p>{verdict.message}</p>
      </div>
    )
  const { preview } = verdict
  const { cost, privacy, budget } = preview
  return (
    <div aria-live="polite" data-testid="verdict-ok">
      <p>
        {preview.admissible ? 'accepted' : 'compiles, but the budget left does not admit it now'}: epsilon{' '}
        {num(privacy.epsilon)} of {privacy.maxEpsilonPerJob} per job; {num(budget.remaining)} left of{' '}
        {budget.epsilon}
      </p>
      <Facts
        rows={[
          ['estimated evaluation', seconds(cost.estimatedMs)],
          ['depth', cost.depth],
          ['multiplications', cost.multiplications],
          ['rotations', cost.rotations],
          ['input ciphertexts', cost.inputCiphertexts],
        ]}
      />
      <Table
        caption="accuracy of each output"
        head={['output', 'epsilon', 'noise sd', '±95%']}
        rows={Object.entries(privacy.outputs).map(([name, o]) => [
          name,
          num(o.epsilon),
          Object.entries(o.noiseStd)
            .map(([k, v]) => (k === 'value' ? num(v) : `${k} ${num(v)}`))
            .join(', '),
          Object.entries(o.error95)
            .map(([k, v]) => (k === 'value' ? num(v) : `${k} ${num(v)}`))
            .join(', '),
        ])}
      />
    </div>
  )
}

/**
 * Pays and submits: with an injected wallet, or on a devnet with a funded dev key pasted here (kept in
 * this page's memory only; `npm run devnet -- --keep` prints one).
 */
function Pay({
  vaultId,
  spec,
  ready,
  onSubmitted,
}: {
  vaultId: Hex32
  spec: DraftSpec
  ready: boolean
  onSubmitted: (s: { jobId: Hex32; sealingKey: Uint8Array }) => void
}) {
  const wallet = injectedWallet()
  const [devKey, setDevKey] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const submit = async (how: 'wallet' | 'key') => {
    setBusy(true)
    setError(undefined)
    try {
      if (how === 'wallet') {
        if (!wallet) throw new WebError('NO_SIGNER', 'no browser wallet is injected')
        const job = await submitWithWallet(wallet, vaultId, spec)
        onSubmitted({ jobId: job.jobId, sealingKey: job.sealingKey.privateKey })
      } else {
        const key = bytesToHex(hexToBytes(devKey)) as Hex32
        const buyer = new Client({ url: nodeUrl(), key })
        try {
          const job = await buyer.submitJob({ vaultId, spec })
          onSubmitted({ jobId: job.jobId, sealingKey: job.sealingKey.privateKey })
        } finally {
          await buyer.close()
        }
      }
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <fieldset class="pay">
      <legend>Pay and submit</legend>
      {wallet ? (
        <button type="button" disabled={!ready || busy} onClick={() => void submit('wallet')}>
          pay with the browser wallet
        </button>
      ) : (
        <p class="muted">no browser wallet found; on a devnet, use a funded dev key</p>
      )}
      <label>
        dev key (devnet only; kept in this page, never stored)
        <input
          type="password"
          autocomplete="off"
          value={devKey}
          onInput={(e) => setDevKey(e.currentTarget.value)}
          placeholder="0x…"
        />
      </label>
      <button type="button" disabled={!ready || busy || devKey === ''} onClick={() => void submit('key')}>
        pay with the dev key and submit
      </button>
      {busy ? <p aria-live="polite">opening the escrow and submitting…</p> : null}
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  )
}

/**
 * A submitted job, watched live; once released, its result is fetched, checked against the chain
 * (certificates, the owner's release) and unsealed here with the sealing key, which leaves the
 * page only if the buyer saves it.
 */
function JobWatch({ jobId, sealingKey }: { jobId: Hex32; sealingKey: Uint8Array | undefined }) {
  const job = usePoll(() => client().job(jobId), 1000, [jobId])
  const [key, setKey] = useState<Uint8Array | undefined>(() => sealingKey ?? loadRemembered(jobId))
  const [pasted, setPasted] = useState('')
  const [remember, setRemember] = useState(() => loadRemembered(jobId) !== undefined)
  const [result, setResult] = useState<JobResult | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const keyHex = useMemo(() => (key ? bytesToHex(key) : undefined), [key])
  const download = useMemo(
    () => (keyHex ? URL.createObjectURL(new Blob([`${keyHex}\n`], { type: 'text/plain' })) : undefined),
    [keyHex],
  )
  const stage = job.data?.stage
  useEffect(() => {
    if (stage !== 'released' || !key || result) return
    client()
      .result(jobId, key)
      .then(setResult, (e: unknown) => setError(messageOf(e)))
  }, [stage, key, jobId, result])
  useEffect(() => {
    if (!keyHex) return
    if (remember) localStorage.setItem(rememberedKey(jobId), keyHex)
    else localStorage.removeItem(rememberedKey(jobId))
  }, [remember, keyHex, jobId])
  return (
    <div class="watch">
      <h3>
        Job <Hash value={jobId} href={href.job(jobId)} />
      </h3>
      <p>
        stage <strong data-testid="watch-stage">{stage ?? '…'}</strong> ·{' '}
        <a href={href.buyer()}>compose another</a> · share:{' '}
        <a href={`#/buyer?job=${jobId}`}>this watch page</a>
      </p>
      {job.data ? <Timeline job={job.data as JobRecord} /> : null}
      {job.error ? <p class="error">{job.error}</p> : null}
      {keyHex ? (
        <fieldset>
          <legend>Sealing key</legend>
          <p>It alone opens the result. It is in this page's memory; nothing sent it anywhere.</p>
          {download ? (
            <a href={download} download={`${jobId}.sealing.key`}>
              save the sealing key to a file
            </a>
          ) : null}
          <label class="inline-check">
            <input
              type="checkbox"
              checked={remember}
              onChange={(e) => setRemember(e.currentTarget.checked)}
            />
            remember it in this browser (local storage)
          </label>
        </fieldset>
      ) : (
        <label>
          sealing key of this job (stays in this page)
          <input type="password" value={pasted} onInput={(e) => setPasted(e.currentTarget.value)} />
          <button
            type="button"
            onClick={() => {
              try {
                setKey(hexToBytes(pasted))
              } catch (e) {
                setError(messageOf(e))
              }
            }}
          >
            open
          </button>
        </label>
      )}
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {stage === 'released' && key && !result && !error ? (
        <p aria-live="polite">verifying and unsealing…</p>
      ) : null}
      {result ? (
        <>
          <p data-testid="verified">
            verified against the chain: certified at height {result.heights.certified}, released by the vault
            owner <Hash value={result.owner} />
          </p>
          <ResultView result={result} />
        </>
      ) : null}
    </div>
  )
}

function loadRemembered(jobId: string): Uint8Array | undefined {
  const saved = localStorage.getItem(rememberedKey(jobId))
  try {
    return saved ? hexToBytes(saved) : undefined
  } catch {
    return undefined
  }
}
