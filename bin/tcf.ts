#!/usr/bin/env node
import { main } from '../node/cli/cli.ts'

await main()
