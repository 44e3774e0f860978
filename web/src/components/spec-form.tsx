import type { OpName } from '../../../sandbox/spec/index.ts'

/** A column as the vault's schema declares it (name and type are all the form needs). */
export interface FormColumn {
  readonly name: string
  readonly type: 'number' | 'integer' | 'boolean' | 'categorical' | 'bucketed'
}

/** One output while the buyer edits it: any shape, so a half-typed spec stays on screen for the compiler to judge. */
export type DraftOutput = Record<string, unknown> & { op: string }
export interface DraftSpec {
  version: 1
  outputs: Record<string, DraftOutput>
  expect?: Record<string, unknown>
}

const numeric = (c: FormColumn) => c.type === 'number' || c.type === 'integer' || c.type === 'boolean'
const grouped = (c: FormColumn) => c.type === 'categorical' || c.type === 'bucketed'

/** The fields an op needs, filled from the schema's first columns that fit. */
export function defaultOutput(op: OpName, columns: readonly FormColumn[]): DraftOutput {
  const nums = columns.filter(numeric).map((c) => c.name)
  const [a = '', b = a] = nums
  switch (op) {
    case 'count':
      return { op }
    case 'sum':
    case 'mean':
    case 'variance':
    case 'stddev':
      return { op, of: a }
    case 'covariance':
    case 'correlation':
      return { op, of: [a, b] }
    case 'histogram':
      return { op, of: columns.find(grouped)?.name ?? '' }
    case 'histogram2d': {
      const [g1 = '', g2 = g1] = columns.filter(grouped).map((c) => c.name)
      return { op, of: [g1, g2] }
    }
    case 'group_mean':
      return { op, of: a, by: columns.find(grouped)?.name ?? '' }
    case 'quantiles':
      return { op, of: columns.find((c) => c.type === 'bucketed')?.name ?? '', q: [0.25, 0.5, 0.75] }
    case 'weighted_sum':
      return { op, weights: { [a]: 1 } }
    case 'linear_model_fit':
      return { op, model: { weights: { [b]: 1 }, bias: 0 }, label: a }
  }
}

export function starterSpec(columns: readonly FormColumn[]): DraftSpec {
  const outputs: Record<string, DraftOutput> = { records: defaultOutput('count', columns) }
  const first = columns.find(numeric)
  if (first) outputs[`mean_${first.name}`] = defaultOutput('mean', columns)
  const group = columns.find(grouped)
  if (group) outputs[`hist_${group.name}`] = { op: 'histogram', of: group.name }
  return { version: 1, outputs }
}

/** "age=0.5, bmi=1" <-> { age: 0.5, bmi: 1 } */
const weightsText = (w: unknown): string =>
  Object.entries((w ?? {}) as Record<string, unknown>)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ')
function parseWeights(text: string): Record<string, number | string> {
  const out: Record<string, number | string> = {}
  for (const part of text.split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim())
    if (k) out[k] = v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : (v ?? '')
  }
  return out
}

interface OutputRowProps {
  readonly name: string
  readonly output: DraftOutput
  readonly ops: readonly OpName[]
  readonly columns: readonly FormColumn[]
  readonly onChange: (name: string, output: DraftOutput | undefined, newName?: string) => void
  readonly invalid: boolean
}

/** One output of the spec as form fields; each field labelled for screen readers. */
function OutputRow({ name, output, ops, columns, onChange, invalid }: OutputRowProps) {
  const set = (patch: Record<string, unknown>) => onChange(name, { ...output, ...patch })
  const id = `out-${name}`
  const termList = `${id}-terms`
  const term = (label: string, value: unknown, update: (v: string) => void) => (
    <label>
      {label}
      <input list={termList} value={String(value ?? '')} onInput={(e) => update(e.currentTarget.value)} />
    </label>
  )
  const of = output.of
  return (
    <fieldset class={invalid ? 'output invalid' : 'output'} aria-invalid={invalid}>
      <legend>{name}</legend>
      <datalist id={termList}>
        {columns.map((c) => (
          <option key={c.name} value={c.name} />
        ))}
      </datalist>
      <label>
        name
        <input
          value={name}
          onChange={(e) => onChange(name, output, e.currentTarget.value.trim() || name)}
          aria-label={`name of output ${name}`}
        />
      </label>
      <label>
        operation
        <select
          value={output.op}
          onChange={(e) => onChange(name, defaultOutput(e.currentTarget.value as OpName, columns))}
          aria-label={`operation of output ${name}`}
        >
          {ops.map((op) => (
            <option key={op} value={op}>
              {op}
            </option>
          ))}
        </select>
      </label>
      {['sum', 'mean', 'variance', 'stddev', 'count'].includes(output.op)
        ? term(output.op === 'count' ? 'of (optional)' : 'of', of, (v) => set({ of: v || undefined }))
        : null}
      {output.op === 'covariance' || output.op === 'correlation' ? (
        <>
          {term('first', Array.isArray(of) ? of[0] : '', (v) =>
            set({ of: [v, Array.isArray(of) ? of[1] : ''] }),
          )}
          {term('second', Array.isArray(of) ? of[1] : '', (v) =>
            set({ of: [Array.isArray(of) ? of[0] : '', v] }),
          )}
        </>
      ) : null}
      {output.op === 'histogram' ? (
        <label>
          of
          <select value={String(of ?? '')} onChange={(e) => set({ of: e.currentTarget.value })}>
            {columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.type})
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {output.op === 'weighted_sum' ? (
        <label>
          weights (term=weight, …)
          <input
            value={weightsText(output.weights)}
            onChange={(e) => set({ weights: parseWeights(e.currentTarget.value) })}
          />
        </label>
      ) : null}
      {output.op === 'linear_model_fit' ? (
        <>
          <label>
            label
            <select
              value={String(output.label ?? '')}
              onChange={(e) => set({ label: e.currentTarget.value })}
            >
              {columns.filter(numeric).map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            model weights (term=weight, …)
            <input
              value={weightsText((output.model as { weights?: unknown } | undefined)?.weights)}
              onChange={(e) =>
                set({ model: { ...(output.model as object), weights: parseWeights(e.currentTarget.value) } })
              }
            />
          </label>
          <label>
            bias
            <input
              type="number"
              value={String((output.model as { bias?: unknown } | undefined)?.bias ?? 0)}
              onChange={(e) =>
                set({ model: { ...(output.model as object), bias: Number(e.currentTarget.value) } })
              }
            />
          </label>
        </>
      ) : null}
      <label>
        epsilon (optional)
        <input
          type="number"
          step="any"
          min="0"
          value={output.epsilon === undefined ? '' : String(output.epsilon)}
          onInput={(e) => {
            const v = e.currentTarget.value
            set({ epsilon: v === '' ? undefined : Number(v) })
          }}
        />
      </label>
      <button type="button" onClick={() => onChange(name, undefined)} aria-label={`remove output ${name}`}>
        remove
      </button>
    </fieldset>
  )
}

export interface SpecFormProps {
  readonly spec: DraftSpec
  readonly ops: readonly OpName[]
  readonly columns: readonly FormColumn[]
  readonly onChange: (spec: DraftSpec) => void
  /** the output a refusal names, highlighted */
  readonly invalidOutput: string | undefined
}

/** The spec as a form: its outputs, each an op over the vault's columns, and what the buyer expects of the data. */
export function SpecForm({ spec, ops, columns, onChange, invalidOutput }: SpecFormProps) {
  const change = (name: string, output: DraftOutput | undefined, newName?: string) => {
    const outputs: Record<string, DraftOutput> = {}
    for (const [k, v] of Object.entries(spec.outputs)) {
      if (k !== name) outputs[k] = v
      else if (output) outputs[newName ?? k] = JSON.parse(JSON.stringify(output)) as DraftOutput
    }
    onChange({ ...spec, outputs })
  }
  const add = () => {
    let i = Object.keys(spec.outputs).length + 1
    while (`output_${i}` in spec.outputs) i++
    onChange({ ...spec, outputs: { ...spec.outputs, [`output_${i}`]: defaultOutput('mean', columns) } })
  }
  const expectNumber = (key: string, label: string, step: string) => (
    <label>
      {label}
      <input
        type="number"
        step={step}
        value={spec.expect?.[key] === undefined ? '' : String(spec.expect[key])}
        onInput={(e) => {
          const v = e.currentTarget.value
          const expect = { ...spec.expect }
          if (v === '') delete expect[key]
          else expect[key] = Number(v)
          const { expect: _, ...rest } = spec
          onChange(Object.keys(expect).length > 0 ? { ...rest, expect } : rest)
        }}
      />
    </label>
  )
  return (
    <form class="spec-form" aria-label="spec" onSubmit={(e) => e.preventDefault()}>
      {Object.entries(spec.outputs).map(([name, output]) => (
        <OutputRow
          key={name}
          name={name}
          output={output}
          ops={ops}
          columns={columns}
          onChange={change}
          invalid={invalidOutput === name}
        />
      ))}
      <button type="button" onClick={add}>
        add an output
      </button>
      <fieldset>
        <legend>expectations of the data</legend>
        {expectNumber('minRecords', 'at least this many records', '1')}
        {expectNumber('maxMissingRate', 'missing rate at most', 'any')}
        {expectNumber('minR2', 'model fit R² at least', 'any')}
      </fieldset>
    </form>
  )
}
