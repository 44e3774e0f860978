import type { ComponentChildren } from 'preact'
import { short } from '../format.ts'
import type { Polled } from '../node.ts'

/** A hash or address, shortened on screen, whole in its title (shown on hover and read by the tests). */
export function Hash({ value, href }: { value: string; href?: string }) {
  const text = <code title={value}>{short(value)}</code>
  return href ? <a href={href}>{text}</a> : text
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  )
}

/** The polled value, or what stands in its place: loading, or the error with the last good value kept. */
export function Loaded<T>({
  polled,
  children,
}: {
  polled: Polled<T>
  children: (data: T) => ComponentChildren
}) {
  return (
    <>
      {polled.error ? (
        <p class="error" role="alert">
          {polled.error}
        </p>
      ) : null}
      {polled.data === undefined ? (
        polled.error ? null : (
          <p class="muted" aria-busy="true">
            loading…
          </p>
        )
      ) : (
        children(polled.data)
      )}
    </>
  )
}

/** Rows of label/value pairs. */
export function Facts({ rows }: { rows: readonly (readonly [string, ComponentChildren])[] }) {
  return (
    <dl class="facts">
      {rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  )
}

export function Table({
  caption,
  head,
  rows,
  empty = 'none',
}: {
  caption: string
  head: readonly string[]
  rows: readonly (readonly ComponentChildren[])[]
  empty?: string
}) {
  if (rows.length === 0)
    return (
      <p class="muted">
        {caption}: {empty}
      </p>
    )
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            {row.map((cell, j) => (
              <td key={j}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}
