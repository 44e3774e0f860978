import { num } from '../format.ts'

export interface HeatmapProps {
  readonly label: string
  readonly rows: readonly string[]
  readonly columns: readonly string[]
  /** cells[row][column]; null where a cell is below the vault's minimum aggregation */
  readonly cells: ReadonlyArray<ReadonlyArray<number | null>>
}

/**
 * A released heatmap (histogram2d) as a table whose cells are shaded by value: screen readers and
 * keyboard users get the numbers, everyone else the picture. Shading is set through the style
 * object (CSSOM), which the CSP's `style-src 'self'` allows, never as an inline style attribute.
 */
export function Heatmap({ label, rows, columns, cells }: HeatmapProps) {
  const values = cells.flat().filter((v): v is number => v !== null)
  const max = Math.max(1e-9, ...values)
  const shade = (v: number | null) => {
    if (v === null) return { background: '#ddd', color: '#111' }
    const t = Math.min(1, Math.max(0, v / max))
    // light to dark blue; text flips to white where the background gets dark, for contrast
    const lightness = 96 - 66 * t
    return { background: `hsl(215 70% ${lightness}%)`, color: lightness < 55 ? '#fff' : '#111' }
  }
  return (
    <table class="heatmap" aria-label={label}>
      <caption>{label}</caption>
      <thead>
        <tr>
          <th scope="col" />
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={r}>
            <th scope="row">{r}</th>
            {columns.map((c, j) => {
              const v = cells[i]?.[j] ?? null
              return (
                <td key={c} style={shade(v)}>
                  {v === null ? '<min' : num(v)}
                </td>
              )
            })}
          </tr>
        ))}
      </tbody>
    </table>
  )
}
