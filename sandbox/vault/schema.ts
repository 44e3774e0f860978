import { z } from 'zod'

const columnName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'column names are identifiers: letters, digits and _, at most 64')

const range = { min: z.number().finite(), max: z.number().finite() }

const NumberColumn = z.object({
  name: columnName,
  type: z.literal('number'),
  nullable: z.boolean().default(false),
  ...range,
})
const IntegerColumn = z.object({
  name: columnName,
  type: z.literal('integer'),
  nullable: z.boolean().default(false),
  min: z.number().int(),
  max: z.number().int(),
})
const BooleanColumn = z.object({
  name: columnName,
  type: z.literal('boolean'),
  nullable: z.boolean().default(false),
})
const CategoricalColumn = z.object({
  name: columnName,
  type: z.literal('categorical'),
  nullable: z.boolean().default(false),
  categories: z.array(z.string().min(1).max(64)).min(2).max(256),
})
/** A number one-hot encoded into buckets [edges[i], edges[i+1]); the last bucket includes its upper edge. */
const BucketedColumn = z.object({
  name: columnName,
  type: z.literal('bucketed'),
  nullable: z.boolean().default(false),
  edges: z.array(z.number().finite()).min(3).max(257),
})

export const ColumnSchema = z.discriminatedUnion('type', [
  NumberColumn,
  IntegerColumn,
  BooleanColumn,
  CategoricalColumn,
  BucketedColumn,
])
export type Column = z.infer<typeof ColumnSchema>

export const VaultSchemaSchema = z
  .object({
    columns: z.array(ColumnSchema).min(1).max(256),
  })
  .superRefine((schema, ctx) => {
    const seen = new Set<string>()
    schema.columns.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({ code: 'custom', path: ['columns', i, 'name'], message: `duplicate column ${c.name}` })
      seen.add(c.name)
      if ((c.type === 'number' || c.type === 'integer') && !(c.min < c.max)) {
        ctx.addIssue({ code: 'custom', path: ['columns', i, 'max'], message: 'max must be greater than min' })
      }
      if (c.type === 'categorical' && new Set(c.categories).size !== c.categories.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['columns', i, 'categories'],
          message: 'categories must be distinct',
        })
      }
      if (c.type === 'bucketed' && c.edges.some((e, j) => j > 0 && e <= (c.edges[j - 1] ?? e))) {
        ctx.addIssue({
          code: 'custom',
          path: ['columns', i, 'edges'],
          message: 'edges must increase strictly',
        })
      }
    })
  })
export type VaultSchema = z.infer<typeof VaultSchemaSchema>

/** The label of a bucket, used as its one-hot column's category. */
export function bucketLabels(edges: readonly number[]): string[] {
  const labels: string[] = []
  for (let i = 0; i + 1 < edges.length; i++) {
    const last = i + 2 === edges.length
    labels.push(`[${edges[i]},${edges[i + 1]}${last ? ']' : ')'}`)
  }
  return labels
}

export function categoriesOf(column: Column): string[] | undefined {
  if (column.type === 'categorical') return column.categories
  if (column.type === 'bucketed') return bucketLabels(column.edges)
  return undefined
}
