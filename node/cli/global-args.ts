import type { InferredOptionTypes, Options } from 'yargs'

export const globalOptions = {
  json: { type: 'boolean', default: false, description: 'machine-readable output' },
} satisfies Record<string, Options>

export type GlobalArgs = InferredOptionTypes<typeof globalOptions>
