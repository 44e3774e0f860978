import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface BarsProps {
  /** what the chart shows, for screen readers (the table beside it carries the numbers) */
  readonly label: string
  readonly categories: readonly string[]
  readonly values: readonly (number | null)[]
  /** the 95% error of each bar, drawn as a whisker */
  readonly error95?: number
}

/** Bars for a histogram (uPlot), one per bucket, with the release's 95% error as whiskers. */
export function Bars({ label, categories, values, error95 }: BarsProps) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!host.current) return
    const xs = categories.map((_, i) => i)
    const whisker = (u: uPlot) => {
      if (!error95) return
      const { ctx } = u
      ctx.save()
      ctx.strokeStyle = '#111'
      ctx.lineWidth = 1.5
      values.forEach((v, i) => {
        if (v === null) return
        const x = u.valToPos(i, 'x', true)
        const lo = u.valToPos(Math.max(0, v - error95), 'y', true)
        const hi = u.valToPos(v + error95, 'y', true)
        ctx.beginPath()
        ctx.moveTo(x, lo)
        ctx.lineTo(x, hi)
        ctx.moveTo(x - 5, lo)
        ctx.lineTo(x + 5, lo)
        ctx.moveTo(x - 5, hi)
        ctx.lineTo(x + 5, hi)
        ctx.stroke()
      })
      ctx.restore()
    }
    const plot = new uPlot(
      {
        width: Math.min(560, host.current.clientWidth || 560),
        height: 240,
        legend: { show: false },
        cursor: { show: false },
        scales: {
          x: { time: false, range: [-0.6, categories.length - 0.4] },
          y: { range: (_u, _min, max) => [0, max * 1.1] },
        },
        axes: [
          {
            values: (_u, splits) => splits.map((s) => categories[s] ?? ''),
            splits: () => xs,
            stroke: '#222',
          },
          { stroke: '#222' },
        ],
        series: [
          {},
          {
            label,
            fill: '#2b6cb0',
            stroke: '#1a4b80',
            paths: uPlot.paths.bars!({ size: [0.7, 80] }),
            points: { show: false },
          },
        ],
        hooks: { draw: [whisker] },
      },
      [xs, values.map((v) => v ?? null)] as uPlot.AlignedData,
      host.current,
    )
    return () => plot.destroy()
  }, [label, categories, values, error95])
  return <div class="chart" ref={host} role="img" aria-label={label} />
}

export interface LineProps {
  readonly label: string
  readonly xs: readonly number[]
  readonly ys: readonly number[]
  readonly xLabel: string
  readonly yLabel: string
}

/** A line over time (uPlot): the height as this page saw it grow. */
export function Line({ label, xs, ys, xLabel, yLabel }: LineProps) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!host.current || xs.length < 2) return
    const plot = new uPlot(
      {
        width: Math.min(560, host.current.clientWidth || 560),
        height: 200,
        legend: { show: false },
        scales: { x: { time: false } },
        axes: [
          { label: xLabel, stroke: '#222' },
          { label: yLabel, stroke: '#222' },
        ],
        series: [{}, { label, stroke: '#2b6cb0', width: 2 }],
      },
      [xs as number[], ys as number[]],
      host.current,
    )
    return () => plot.destroy()
  }, [label, xs, ys, xLabel, yLabel])
  return <div class="chart" ref={host} role="img" aria-label={label} />
}
