// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the configurations use ${VAR}
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { configCheckCommand } from "../../src/cli/configCheckCommand.ts"

/**
 * `stormbot config check`'s exact output (stdout, stderr, exit code) for the documented example
 * configurations and for a full one with every adapter type, run in-process through the
 * command. The expected text is in `__snapshots__/configCheck/`: a change to any byte of what the
 * operator sees fails here. The temporary folder prints as `<dir>`.
 */

const dir = realpathSync(mkdtempSync(join(tmpdir(), "stormbot-check-")))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBexampleCA\n-----END CERTIFICATE-----\n"
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIEexampleKEY\n-----END PRIVATE KEY-----\n"
const write = (name: string, text: string) => {
  const path = join(dir, name)
  mkdirSync(join(path, ".."), { recursive: true })
  writeFileSync(path, text)
  return path
}
write("ca.pem", PEM)
write("proxy-ca.pem", PEM)
write("client.pem", PEM)
write("client.key", KEY)
write("secrets/st2pw", "PW-never-printed\n")
write("secrets/slack-bot", "xoxb-BOT-never-printed\n")
write("secrets/slack-signing", "SIGNING-never-printed\n")
write("secrets/discord", "DISCORD-never-printed\n")
write("secrets/vault", "VAULT-never-printed\n")
const SECRETS = [
  "PW-never-printed",
  "xoxb-BOT-never-printed",
  "xapp-APP-never-printed",
  "SIGNING-never-printed",
  "DISCORD-never-printed",
  "DISCORD2-never-printed",
  "VAULT-never-printed",
  "HOOK-0123456789abcdef-never-printed",
  "KEY-never-printed",
  "MIIEexampleKEY",
]

const OUTER = /^(ST2_|STORMBOT_|VAULT_|NODE_TLS_REJECT_UNAUTHORIZED$)/
beforeEach(() => {
  for (const k of Object.keys(process.env)) if (OUTER.test(k)) vi.stubEnv(k, undefined)
})
afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

const check = async (yaml: string | undefined, env: Record<string, string> = {}) => {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v)
  const args = yaml === undefined ? [] : ["--config", write("stormbot.yaml", yaml)]
  if (yaml === undefined) vi.spyOn(process, "cwd").mockReturnValue(join(dir, "secrets"))
  const out: string[] = []
  const err: string[] = []
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")))
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")))
  const code = await Effect.runPromise(configCheckCommand.run(args))
  const text = [`exit ${code}`, "--- stdout", ...out, "--- stderr", ...err, ""]
    .join("\n")
    .replaceAll(dir, "<dir>")
  for (const s of SECRETS) expect(text).not.toContain(s)
  return text
}

const snapshot = (name: string) => `./__snapshots__/configCheck/${name}.txt`

/** Every adapter type, every section, secrets inline, from ${VAR} and from files. */
const FULL = `
stackstorm:
  url: https://st2.example.com
  ca_cert: ca.pem
  client_cert: client.pem
  client_key: client.key
  webui_url: https://st2.example.com/
  plugin_prefix: ""
  bot_prefix: "?"
  timer_update: 30
  session_ttl: 600
  user_token_ttl: 7200
  request_timeout: 2.5
  api_auth:
    key: "\${ST2_KEY}"
    user:
      name: st2bot
      password_file: secrets/st2pw
  rbac_auth:
    clientside: { url: "https://bot.example.com/login/" }
  secrets_store:
    vault:
      url: https://vault.example.com:8200
      token_file: secrets/vault
      namespace: ops
adapters:
  - type: text
    name: terminal
  - type: slack
    bot_token: "\${SLACK_BOT}"
    app_token: "\${SLACK_APP}"
    tls: { ca_file: proxy-ca.pem }
  - type: slack
    name: slack-gov
    mode: http
    bot_token_file: secrets/slack-bot
    signing_secret_file: secrets/slack-signing
    api_url: https://slack-gov.com/api/
    http_port: 3100
  - type: discord
    token_file: secrets/discord
    tls: { verify: false }
  - type: discord
    name: discord-eu
    token: DISCORD2-never-printed
    api_url: https://discord.example.eu/api
    tls: { ca_file: proxy-ca.pem, verify: true }
web:
  enabled: true
  host: 0.0.0.0
  port: "\${WEB_PORT:-8443}"
  webhook_secret: "\${HOOK}"
limits:
  max_command_length: 2048
  match_timeout: 0.5
  stream_silence: 40
  per_user_concurrency: 2
log:
  level: debug
  format: json
`
const FULL_ENV = {
  ST2_KEY: "KEY-never-printed",
  SLACK_BOT: "xoxb-BOT-never-printed",
  SLACK_APP: "xapp-APP-never-printed",
  HOOK: "HOOK-0123456789abcdef-never-printed",
  ST2_ROUTE: "chatops",
}

/** docs/configuration.md, "A complete example" (file paths in the temporary folder). */
const DOCS_COMPLETE = `
stackstorm:
  url: https://st2.example.com          # or auth_url / api_url / stream_url one by one
  verify_cert: true
  ca_cert: ca.pem
  webui_url: https://st2.example.com
  route_key: errbot
  plugin_prefix: st2
  bot_prefix: "!"
  timer_update: 60
  session_ttl: 3600
  user_token_ttl: 86400
  request_timeout: 10
  api_auth:
    user:
      name: st2bot
      password_file: secrets/st2pw
  rbac_auth:
    standalone: {}
  secrets_store: cleartext
adapters:
  - type: text
web:
  enabled: true
  host: 127.0.0.1
  port: 8080
  webhook_secret: "\${STORMBOT_WEBHOOK_SECRET}"
log:
  level: info
  format: auto
`

/** docs/configuration.md, the smallest useful file. */
const DOCS_SMALLEST = `
stackstorm:
  url: https://st2.example.com
  api_auth:
    key: "\${ST2_API_KEY}"
`

describe("stormbot config check: byte-for-byte output", () => {
  it("a full configuration with every adapter type", async () => {
    await expect(await check(FULL, FULL_ENV)).toMatchFileSnapshot(snapshot("full"))
  })

  it("docs/configuration.md's complete example", async () => {
    const text = await check(DOCS_COMPLETE, {
      STORMBOT_WEBHOOK_SECRET: "HOOK-0123456789abcdef-never-printed",
    })
    await expect(text).toMatchFileSnapshot(snapshot("docs-complete"))
  })

  it("docs/configuration.md's smallest file", async () => {
    const text = await check(DOCS_SMALLEST, { ST2_API_KEY: "KEY-never-printed" })
    await expect(text).toMatchFileSnapshot(snapshot("docs-smallest"))
  })

  it("no file: the st2chatops environment alone (docs/configuration.md)", async () => {
    const text = await check(undefined, {
      ST2_API_URL: "https://st2.example.com/api",
      ST2_AUTH_URL: "https://st2.example.com/auth",
      ST2_STREAM_URL: "https://st2.example.com/stream",
      ST2_API_KEY: "KEY-never-printed",
    })
    await expect(text).toMatchFileSnapshot(snapshot("st2chatops-env"))
  })

  it("every adapter type under NODE_TLS_REJECT_UNAUTHORIZED=0 with insecure_tls_for_all", async () => {
    const text = await check(`insecure_tls_for_all: true\n${FULL}`, {
      ...FULL_ENV,
      NODE_TLS_REJECT_UNAUTHORIZED: "0",
    })
    await expect(text).toMatchFileSnapshot(snapshot("insecure-tls"))
  })

  it("every problem of every adapter type, listed at once", async () => {
    const text = await check(
      `
stackstorm:
  api_auth: { key: k }
adapters:
  - type: text
    colour: blue
  - type: slak
  - type: slack
    mode: http
    bot_token: xoxb-BOT-never-printed
    bot_token_file: secrets/slack-bot
    tls: { ca_file: missing.pem, verfy: false }
  - type: slack
    name: s2
    app_token_file: secrets/none
  - type: discord
    token: ""
    api_url: ftp://discord
  - type: discord
    name: s2
    token: DISCORD2-never-printed
    tokn: x
  - {}
  - type: 42
`,
      { NODE_TLS_REJECT_UNAUTHORIZED: "0" },
    )
    await expect(text).toMatchFileSnapshot(snapshot("problems"))
  })
})
