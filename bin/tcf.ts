#!/usr/bin/env -S node --max-semi-space-size=32
import { main } from '../node/cli/cli.ts'

await main()
