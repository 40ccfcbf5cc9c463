import { readFileSync } from "node:fs"
import { isAbsolute, resolve } from "node:path"
import { Either, Redacted, Schema } from "effect"
import {
  ADAPTER_DEFAULTS,
  ADAPTER_TYPES,
  type AdapterConfig,
  type AdapterTlsConfig,
  adapterSchemas,
  type AdapterType,
} from "./adapterTypes.ts"
import { ConfigError, type ConfigProblem } from "./ConfigError.ts"
import {
  type ConfigFile,
  ConfigFileSchema,
  RBAC_METHODS,
  RETIRED_KEYS,
  SECRETS_STORES,
} from "./ConfigFileSchema.ts"
import { type LeafParser, parseHttpUrl, parseInteger, parseText } from "./configLeaves.ts"
import { type ConfigPath, formatPath } from "./configPath.ts"
import { suggestion } from "./didYouMean.ts"
import { envDisablesTls, insecureTlsFindings, TLS_ENV_VARIABLE, tlsConnectionsOf } from "./insecureTls.ts"
import { type Env, interpolateEnv } from "./interpolateEnv.ts"
import { issuesToProblems } from "./issuesToProblems.ts"
import type { LoadedConfig, ValueSource } from "./LoadedConfig.ts"
import type { RbacAuthConfig, SecretsStoreConfig, StormbotConfig } from "./StormbotConfig.ts"

/** Reads a file named in the configuration; `reason` is short and never contains the contents. */
export type FileReader = (
  path: string,
) => { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string }

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
}

export const nodeFileReader: FileReader = (path) => {
  try {
    return { ok: true, text: readFileSync(path, "utf8") }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error"
    return { ok: false, reason: REASONS[code] ?? code }
  }
}

export interface DecodeOptions {
  /** Variables for `${VAR}` and the st2chatops `ST2_*` fallbacks. Default: none (pure). */
  readonly env?: Env
  /** Named in problems and value sources: the file path, or `<inline>` (default). */
  readonly source?: string
  /** Relative `*_file`, `ca_cert`, `client_cert`, `client_key`, `ca_file` paths resolve here. Default: cwd. */
  readonly baseDir?: string
  readonly readFile?: FileReader
  /** Whether a configuration without any StackStorm credential is a problem. Default true. */
  readonly requireCredential?: boolean
}

export const DEFAULTS = {
  authUrl: "http://localhost:9100/v1",
  apiUrl: "http://localhost:9101/v1",
  streamUrl: "http://localhost:9102/v1",
  verifyCert: true,
  routeKey: "errbot",
  pluginPrefix: "st2",
  botPrefix: "!",
  timerUpdateSeconds: 60,
  sessionTtlSeconds: 3600,
  userTokenTtlSeconds: 86400,
  requestTimeoutSeconds: 10,
  keyringService: "stormbot",
  vaultMount: "secret",
  vaultPath: "stormbot",
  webHost: "127.0.0.1",
  webPort: 8080,
  webhookSecretMinLength: 16,
  maxCommandLength: 4096,
  matchTimeoutSeconds: 0.25,
  maxResponseBytes: 16 * 1024 * 1024,
  streamSilenceSeconds: 35,
  perUserConcurrency: 1,
  maxResultParts: 10,
  maxRequestBytes: 1024 * 1024,
  logLevel: "info",
  logFormat: "auto",
} as const

const isRecord = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

/** st2chatops `ST2_API_URL` / `ST2_STREAM_URL` are bases; the version goes after (as st2client.js does). */
const withV1 = (url: string): string => (/\/v1$/.test(url) ? url : `${url}/v1`)

/**
 * Decodes an already parsed configuration (a YAML document, or an object built in code) and the
 * environment into the effective configuration, or a `ConfigError` listing every problem.
 * Precedence for each value: the file (including its `${VAR}`s), then the st2chatops variable,
 * then the default. Files named by the configuration are read through `readFile`.
 */
export const decodeConfig = (
  raw: unknown,
  options: DecodeOptions = {},
): Either.Either<LoadedConfig, ConfigError> => {
  const env = options.env ?? {}
  const sourceName = options.source ?? "<inline>"
  const readFile = options.readFile ?? nodeFileReader
  const baseDir = options.baseDir ?? process.cwd()
  const problems: ConfigProblem[] = []
  const warnings: ConfigProblem[] = []
  const sources = new Map<string, ValueSource>()
  const problem = (path: string, message: string, hint?: string): undefined => {
    problems.push({ path, message, ...(hint === undefined ? {} : { hint }) })
    return undefined
  }
  const hasProblemAt = (prefix: string) =>
    problems.some((p) => p.path === prefix || p.path.startsWith(prefix))

  // 1. The document itself, `${VAR}`s, empty values.
  let root: unknown = raw ?? {}
  if (!isRecord(root)) {
    problem(
      "",
      "the configuration must be a mapping (key: value lines)",
      "start from the example in docs/configuration.md",
    )
    root = {}
  }
  const interpolated = interpolateEnv(root, env)
  const tree = interpolated.value as Record<string, unknown>
  for (const p of interpolated.problems) {
    problems.push(p.problem)
    dropPath(tree, p.at)
  }
  normaliseEmpty(tree, [], problem)

  // 2. Shapes and leaf values. Bad values are reported, dropped, and the rest decoded again, so
  //    the cross-field checks below still run and every problem is reported at once.
  const decodeFile = Schema.decodeUnknownEither(ConfigFileSchema, {
    errors: "all",
    onExcessProperty: "error",
  })
  let decoded = decodeFile(tree)
  if (Either.isLeft(decoded)) {
    for (const l of issuesToProblems(decoded.left.issue, [], RETIRED_KEYS)) {
      problems.push(l.problem)
      dropPath(tree, l.at)
    }
    decoded = decodeFile(tree)
  }
  const file: ConfigFile = Either.isRight(decoded) ? decoded.right : {}

  // 3. Helpers for sources, env fallbacks and files.
  const fromFile = (key: string, readFrom?: string): ValueSource => ({
    _tag: "file",
    path: sourceName,
    key,
    ...(interpolated.variables.has(key) ? { variables: interpolated.variables.get(key) } : {}),
    ...(readFrom === undefined ? {} : { readFrom }),
  })
  const fromEnv = (variable: string): ValueSource => ({ _tag: "env", variable })
  const pick = <A>(
    path: string,
    candidates: ReadonlyArray<readonly [A | undefined, ValueSource]>,
    dflt: A,
  ): A => {
    for (const [value, source] of candidates) {
      if (value !== undefined) {
        sources.set(path, source)
        return value
      }
    }
    sources.set(path, { _tag: "default" })
    return dflt
  }
  const pickOptional = <A>(
    path: string,
    candidates: ReadonlyArray<readonly [A | undefined, ValueSource]>,
  ) => {
    for (const [value, source] of candidates) {
      if (value !== undefined) {
        sources.set(path, source)
        return value
      }
    }
    return undefined
  }
  /** An st2chatops-style variable: unset or empty means absent (st2chatops.env exports empty ones). */
  const envValue = <A>(variable: string, path: string, parse: LeafParser<A>): A | undefined => {
    const v = env[variable]
    if (v === undefined || v === "") return undefined
    const r = parse(v)
    if (r.ok) return r.value
    problem(path, `(from ${variable}) ${r.message}`, r.hint)
    return undefined
  }
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  const read = (key: string, path: string): { text: string; resolved: string } | undefined => {
    const resolved = resolvePath(path)
    const r = readFile(resolved)
    if (!r.ok) {
      problem(
        key,
        `cannot read \`${path}\`: ${r.reason}`,
        "check the path (relative paths start at the configuration file's folder) and its permissions",
      )
      return undefined
    }
    return { text: r.text, resolved }
  }
  /** A secret given inline or as `<key>_file` (contents, trailing newlines trimmed). */
  const secret = (
    section: string,
    forms: ReadonlyArray<readonly [name: string, value: string | undefined]>,
  ): readonly [Redacted.Redacted<string>, ValueSource] | undefined => {
    const set = forms.filter(([, v]) => v !== undefined)
    if (set.length > 1) {
      problem(
        `${section}.${set[0]![0]}`,
        `${set.map(([n]) => `\`${n}\``).join(" and ")} are all set`,
        "keep exactly one of them",
      )
    }
    const [name, value] = set[0] ?? []
    if (name === undefined || value === undefined) return undefined
    const key = `${section}.${name}`
    if (!name.endsWith("_file")) return [Redacted.make(value), fromFile(key)]
    const r = read(key, value)
    if (r === undefined) return undefined
    const text = r.text.replace(/[\r\n]+$/, "")
    if (text === "") {
      problem(key, `\`${value}\` is empty`, "write the secret into the file")
      return undefined
    }
    return [Redacted.make(text), fromFile(key, r.resolved)]
  }
  const pem = (key: string, path: string | undefined): { text: string; resolved: string } | undefined => {
    if (path === undefined) return undefined
    const r = read(key, path)
    if (r === undefined) return undefined
    if (!r.text.includes("-----BEGIN ")) {
      problem(
        key,
        `\`${path}\` is not a PEM file (no -----BEGIN line)`,
        "give the path of a PEM-encoded file",
      )
      return undefined
    }
    return r
  }

  // 4. stackstorm
  const s = file.stackstorm ?? {}
  const envApi = envValue("ST2_API_URL", "stackstorm.api_url", parseHttpUrl)
  const envAuth = envValue("ST2_AUTH_URL", "stackstorm.auth_url", parseHttpUrl)
  const envStream = envValue("ST2_STREAM_URL", "stackstorm.stream_url", parseHttpUrl)
  const base = s.url
  const authUrl = pick(
    "stackstorm.auth_url",
    [
      [s.auth_url, fromFile("stackstorm.auth_url")],
      [base && `${base}/auth/v1`, fromFile("stackstorm.url")],
      // hubot-stackstorm posts to `${ST2_AUTH_URL}/tokens`; st2auth serves it with or without /v1.
      [envAuth, fromEnv("ST2_AUTH_URL")],
    ],
    DEFAULTS.authUrl,
  )
  const apiUrl = pick(
    "stackstorm.api_url",
    [
      [s.api_url, fromFile("stackstorm.api_url")],
      [base && `${base}/api/v1`, fromFile("stackstorm.url")],
      [envApi && withV1(envApi), fromEnv("ST2_API_URL")],
    ],
    DEFAULTS.apiUrl,
  )
  const streamUrl = pick(
    "stackstorm.stream_url",
    [
      [s.stream_url, fromFile("stackstorm.stream_url")],
      [base && `${base}/stream/v1`, fromFile("stackstorm.url")],
      [envStream && withV1(envStream), fromEnv("ST2_STREAM_URL")],
      // hubot-stackstorm (st2client.js) looks for the stream under the API's base when no stream URL is given.
      [envApi && withV1(envApi), fromEnv("ST2_API_URL")],
    ],
    DEFAULTS.streamUrl,
  )
  if (sources.get("stackstorm.stream_url")?._tag === "env" && envStream === undefined) {
    warnings.push({
      path: "stackstorm.stream_url",
      message: `derived from ST2_API_URL as hubot-stackstorm does: ${streamUrl}/stream`,
      hint: "behind the stock nginx the stream is at https://HOST/stream: set ST2_STREAM_URL or stackstorm.stream_url",
    })
  }
  for (const [name, url, dflt] of [
    ["auth_url", authUrl, DEFAULTS.authUrl],
    ["stream_url", streamUrl, DEFAULTS.streamUrl],
  ] as const) {
    if (url === dflt && apiUrl !== DEFAULTS.apiUrl) {
      warnings.push({
        path: `stackstorm.${name}`,
        message: `is the default ${dflt} although api_url is ${apiUrl}`,
        hint: `set stackstorm.${name}, or stackstorm.url for all three`,
      })
    }
  }

  const verifyCert = pick(
    "stackstorm.verify_cert",
    [[s.verify_cert, fromFile("stackstorm.verify_cert")]],
    DEFAULTS.verifyCert,
  )
  const caCert = pem("stackstorm.ca_cert", s.ca_cert)
  if (caCert) sources.set("stackstorm.ca_cert", fromFile("stackstorm.ca_cert", caCert.resolved))
  const clientCert = pem("stackstorm.client_cert", s.client_cert)
  if (clientCert)
    sources.set("stackstorm.client_cert", fromFile("stackstorm.client_cert", clientCert.resolved))
  const clientKey = pem("stackstorm.client_key", s.client_key)
  if (clientKey) sources.set("stackstorm.client_key", fromFile("stackstorm.client_key", clientKey.resolved))
  if ((s.client_cert === undefined) !== (s.client_key === undefined)) {
    const missing = s.client_cert === undefined ? "client_cert" : "client_key"
    problem(
      `stackstorm.${missing}`,
      "is required with the other half of the client certificate",
      "set both client_cert and client_key, or neither",
    )
  }
  const webuiUrl = pickOptional("stackstorm.webui_url", [
    [s.webui_url, fromFile("stackstorm.webui_url")],
    [envValue("ST2_WEBUI_URL", "stackstorm.webui_url", parseHttpUrl), fromEnv("ST2_WEBUI_URL")],
  ])
  const routeKey = pick(
    "stackstorm.route_key",
    [
      [s.route_key, fromFile("stackstorm.route_key")],
      [envValue("ST2_ROUTE", "stackstorm.route_key", parseText()), fromEnv("ST2_ROUTE")],
    ],
    DEFAULTS.routeKey,
  )
  if (/\s/.test(routeKey)) {
    problem(
      "stackstorm.route_key",
      "must not contain spaces",
      "it becomes part of the event name st2.announcement__<route_key>",
    )
  }
  const pluginPrefix = pick(
    "stackstorm.plugin_prefix",
    [[s.plugin_prefix, fromFile("stackstorm.plugin_prefix")]],
    DEFAULTS.pluginPrefix,
  )
  const botPrefix = pick(
    "stackstorm.bot_prefix",
    [[s.bot_prefix, fromFile("stackstorm.bot_prefix")]],
    DEFAULTS.botPrefix,
  )
  const timerUpdateSeconds = pick(
    "stackstorm.timer_update",
    [
      [s.timer_update, fromFile("stackstorm.timer_update")],
      [
        envValue("ST2_COMMANDS_RELOAD_INTERVAL", "stackstorm.timer_update", parseInteger(1)),
        fromEnv("ST2_COMMANDS_RELOAD_INTERVAL"),
      ],
    ],
    DEFAULTS.timerUpdateSeconds,
  )
  const sessionTtlSeconds = pick(
    "stackstorm.session_ttl",
    [[s.session_ttl, fromFile("stackstorm.session_ttl")]],
    DEFAULTS.sessionTtlSeconds,
  )
  const userTokenTtlSeconds = pick(
    "stackstorm.user_token_ttl",
    [[s.user_token_ttl, fromFile("stackstorm.user_token_ttl")]],
    DEFAULTS.userTokenTtlSeconds,
  )
  const requestTimeoutSeconds = pick(
    "stackstorm.request_timeout",
    [[s.request_timeout, fromFile("stackstorm.request_timeout")]],
    DEFAULTS.requestTimeoutSeconds,
  )

  // api_auth: every credential configured is kept; the credential actor picks one.
  const a = s.api_auth ?? {}
  const fromEnvSecret = (variable: string) => {
    const v = env[variable]
    return v === undefined || v === "" ? undefined : ([Redacted.make(v), fromEnv(variable)] as const)
  }
  const keyPair =
    secret("stackstorm.api_auth", [
      ["key", a.key],
      ["key_file", a.key_file],
      ["apikey", a.apikey],
      ["apikey_file", a.apikey_file],
    ]) ?? fromEnvSecret("ST2_API_KEY")
  const tokenPair =
    secret("stackstorm.api_auth", [
      ["token", a.token],
      ["token_file", a.token_file],
    ]) ?? fromEnvSecret("ST2_AUTH_TOKEN")
  const u = a.user ?? {}
  const userName = pickOptional("stackstorm.api_auth.user.name", [
    [u.name, fromFile("stackstorm.api_auth.user.name")],
    [
      envValue("ST2_AUTH_USERNAME", "stackstorm.api_auth.user.name", parseText()),
      fromEnv("ST2_AUTH_USERNAME"),
    ],
  ])
  const passwordPair =
    secret("stackstorm.api_auth.user", [
      ["password", u.password],
      ["password_file", u.password_file],
    ]) ?? fromEnvSecret("ST2_AUTH_PASSWORD")
  if (keyPair) sources.set("stackstorm.api_auth.key", keyPair[1])
  if (tokenPair) sources.set("stackstorm.api_auth.token", tokenPair[1])
  if (passwordPair) sources.set("stackstorm.api_auth.user.password", passwordPair[1])
  if (
    userName !== undefined &&
    passwordPair === undefined &&
    !hasProblemAt("stackstorm.api_auth.user.password")
  ) {
    problem(
      "stackstorm.api_auth.user.password",
      `is missing: the user \`${userName}\` needs a password`,
      "set password, password_file, or ST2_AUTH_PASSWORD",
    )
  }
  if (
    userName === undefined &&
    passwordPair !== undefined &&
    !hasProblemAt("stackstorm.api_auth.user.name")
  ) {
    problem(
      "stackstorm.api_auth.user.name",
      "is missing: a password is set but no user name",
      "set name, or ST2_AUTH_USERNAME",
    )
  }
  const user =
    userName !== undefined && passwordPair !== undefined
      ? { name: userName, password: passwordPair[0] }
      : undefined
  const credentials = [keyPair && "key", tokenPair && "token", user && "user"].filter((c) => c !== undefined)
  if (
    credentials.length === 0 &&
    (options.requireCredential ?? true) &&
    !hasProblemAt("stackstorm.api_auth")
  ) {
    problem(
      "stackstorm.api_auth",
      "no StackStorm credential is configured",
      "set api_auth.key (an st2 API key), api_auth.token, or api_auth.user {name, password} (or *_file); " +
        "or the st2chatops variables ST2_API_KEY, ST2_AUTH_TOKEN, ST2_AUTH_USERNAME + ST2_AUTH_PASSWORD",
    )
  }
  if (credentials.length > 1) {
    warnings.push({
      path: "stackstorm.api_auth",
      message: `several credentials are set (${credentials.join(", ")}): the API key is used first, then the token, then the user`,
      hint: "remove the ones you do not mean to use",
    })
  }

  // rbac_auth: exactly one method; standalone by default.
  const rb = s.rbac_auth ?? {}
  const methods = RBAC_METHODS.filter((m) => rb[m] !== undefined)
  if (methods.length > 1) {
    problem(
      "stackstorm.rbac_auth",
      `sets ${methods.length} methods (${methods.join(", ")}); exactly one is allowed`,
      "keep one of standalone: {}, serverside: {}, clientside: {url: ...}",
    )
  }
  const method = methods[0] ?? "standalone"
  sources.set(
    "stackstorm.rbac_auth",
    methods.length > 0 ? fromFile(`stackstorm.rbac_auth.${method}`) : { _tag: "default" },
  )
  let rbacAuth: RbacAuthConfig = { _tag: method === "clientside" ? "standalone" : method }
  if (method === "clientside") {
    const url = rb.clientside?.url
    if (url === undefined) {
      if (!hasProblemAt("stackstorm.rbac_auth.clientside.url")) {
        problem(
          "stackstorm.rbac_auth.clientside.url",
          "is required for clientside authentication",
          "the URL of the bot's login page, e.g. https://stormbot.example.com/login/",
        )
      }
    } else {
      rbacAuth = { _tag: "clientside", url }
      sources.set("stackstorm.rbac_auth.clientside.url", fromFile("stackstorm.rbac_auth.clientside.url"))
    }
  }

  const secretsStore = decodeSecretsStore()
  function decodeSecretsStore(): SecretsStoreConfig {
    const ss = s.secrets_store ?? {}
    const kinds = SECRETS_STORES.filter((k) => ss[k] !== undefined)
    if (kinds.length > 1) {
      problem(
        "stackstorm.secrets_store",
        `sets ${kinds.length} stores (${kinds.join(", ")}); exactly one is allowed`,
        "keep one",
      )
    }
    const kind = kinds[0] ?? "cleartext"
    sources.set(
      "stackstorm.secrets_store",
      kinds.length > 0 ? fromFile("stackstorm.secrets_store") : { _tag: "default" },
    )
    if (kind === "cleartext") return { _tag: "cleartext" }
    if (kind === "keyring") {
      const service = pick(
        "stackstorm.secrets_store.keyring.service",
        [[ss.keyring?.service, fromFile("stackstorm.secrets_store.keyring.service")]],
        DEFAULTS.keyringService,
      )
      return { _tag: "keyring", service }
    }
    const v = ss.vault ?? {}
    const at = "stackstorm.secrets_store.vault"
    const url = pickOptional(`${at}.url`, [
      [v.url, fromFile(`${at}.url`)],
      [envValue("VAULT_ADDR", `${at}.url`, parseHttpUrl), fromEnv("VAULT_ADDR")],
    ])
    if (url === undefined && !hasProblemAt(`${at}.url`)) {
      problem(
        `${at}.url`,
        "is required for the vault store",
        "the Vault address, e.g. https://vault.example.com:8200, or set VAULT_ADDR",
      )
    }
    const token =
      secret(at, [
        ["token", v.token],
        ["token_file", v.token_file],
      ]) ?? fromEnvSecret("VAULT_TOKEN")
    if (token) sources.set(`${at}.token`, token[1])
    else if (!hasProblemAt(`${at}.token`)) {
      problem(`${at}.token`, "is required for the vault store", "set token, token_file, or VAULT_TOKEN")
    }
    const mount = pick(`${at}.mount`, [[v.mount, fromFile(`${at}.mount`)]], DEFAULTS.vaultMount)
    const path = pick(`${at}.path`, [[v.path, fromFile(`${at}.path`)]], DEFAULTS.vaultPath)
    const namespace = pickOptional(`${at}.namespace`, [[v.namespace, fromFile(`${at}.namespace`)]])
    return {
      _tag: "vault",
      url: url ?? "",
      token: token?.[0] ?? Redacted.make(""),
      mount,
      path,
      ...(namespace === undefined ? {} : { namespace }),
    }
  }

  // 5. adapters. `insecure_tls_for_all` first: with NODE_TLS_REJECT_UNAUTHORIZED=0 it turns the
  //    default `tls.verify` of the adapters to false (insecureTls.ts).
  const insecureTlsForAll = pick(
    "insecure_tls_for_all",
    [[file.insecure_tls_for_all, fromFile("insecure_tls_for_all")]],
    false,
  )
  const tlsEnvHonoured = insecureTlsForAll && envDisablesTls(env)
  const adapters = decodeAdapters()
  function decodeAdapters(): ReadonlyArray<AdapterConfig> {
    if (file.adapters === undefined) {
      sources.set("adapters[0].type", { _tag: "default" })
      sources.set("adapters[0].name", { _tag: "default" })
      return [{ type: "text", name: "text" }]
    }
    if (file.adapters.length === 0) {
      problem(
        "adapters",
        "is empty",
        "list at least one adapter, e.g. `- type: text`, or remove the key for the default",
      )
    }
    const out: AdapterConfig[] = []
    const names = new Map<string, number>()
    const decodeAdapter = (item: unknown, i: number): AdapterConfig | undefined => {
      const at: ConfigPath = ["adapters", i]
      const known = `known types: ${ADAPTER_TYPES.join(", ")}`
      if (!isRecord(item))
        return problem(
          formatPath(at),
          `must be a mapping with a \`type\`, got ${item === null ? "nothing" : typeof item}`,
          known,
        )
      const type = item.type
      if (type === undefined || type === null)
        return problem(formatPath([...at, "type"]), "is required", known)
      if (typeof type !== "string") return problem(formatPath([...at, "type"]), "must be text", known)
      if (!(ADAPTER_TYPES as ReadonlyArray<string>).includes(type)) {
        const close = suggestion(type, ADAPTER_TYPES, "known types")
        return problem(
          formatPath([...at, "type"]),
          `unknown adapter type \`${type}\``,
          close.startsWith("did") ? `${close} (${known})` : close,
        )
      }
      const schema = adapterSchemas[type as AdapterType]
      const r = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(item)
      if (Either.isLeft(r)) {
        for (const l of issuesToProblems(r.left.issue, at)) problems.push(l.problem)
        return undefined
      }
      const name = r.right.name ?? type
      sources.set(formatPath([...at, "type"]), fromFile(formatPath([...at, "type"])))
      sources.set(
        formatPath([...at, "name"]),
        r.right.name === undefined ? { _tag: "default" } : fromFile(formatPath([...at, "name"])),
      )
      const seen = names.get(name)
      if (seen !== undefined) {
        problem(
          formatPath([...at, "name"]),
          `\`${name}\` is already the name of adapters[${seen}]`,
          "give each adapter a unique name",
        )
      }
      names.set(name, i)
      const adapter = adapterConfigOf(
        type as AdapterType,
        name,
        r.right as Record<string, unknown>,
        formatPath(at),
      )
      if (adapter !== undefined && adapter.type !== "text" && adapter.tls.explicit && !adapter.tls.verify)
        warnings.push({
          path: `${formatPath(at)}.tls.verify`,
          message: `is false: adapter \`${name}\` accepts any certificate on ${tlsConnectionsOf(adapter).join(", ")}`,
          hint:
            adapter.tls.ca === undefined
              ? "give tls.ca_file with the CA that signs the platform's (or the proxy's) certificate instead"
              : "tls.ca_file is not used while verify is false: remove verify: false",
        })
      return adapter
    }
    /** The typed settings of one adapter: secrets (or their `*_file`s), required keys, defaults. */
    const adapterConfigOf = (
      type: AdapterType,
      name: string,
      raw: Record<string, unknown>,
      at: string,
    ): AdapterConfig | undefined => {
      const text = (k: string) => (typeof raw[k] === "string" ? (raw[k] as string) : undefined)
      const secretOf = (k: string) => {
        const found = secret(at, [
          [k, text(k)],
          [`${k}_file`, text(`${k}_file`)],
        ])
        if (found) sources.set(`${at}.${k}`, found[1])
        return found?.[0]
      }
      // Where each plain setting came from: the file, or the default.
      for (const k of ["mode", "api_url", "http_host", "http_port", "http_path"])
        sources.set(`${at}.${k}`, raw[k] === undefined ? { _tag: "default" } : fromFile(`${at}.${k}`))
      const required = (k: string, why: string) =>
        problem(`${at}.${k}`, `is required ${why}`, `set ${k} (or ${k}_file, or \${VAR})`)
      /** `tls`: `verify` (default true) and `ca_file` (PEM, read now), explicit for the SDK. */
      const tlsOf = (): AdapterTlsConfig => {
        const t = isRecord(raw.tls) ? raw.tls : {}
        const caFile = typeof t.ca_file === "string" ? t.ca_file : undefined
        const ca = pem(`${at}.tls.ca_file`, caFile)
        if (ca) sources.set(`${at}.tls.ca_file`, fromFile(`${at}.tls.ca_file`, ca.resolved))
        const given = typeof t.verify === "boolean" ? t.verify : undefined
        const explicit = given !== undefined || caFile !== undefined
        const verify = given ?? !(tlsEnvHonoured && !explicit)
        sources.set(
          `${at}.tls.verify`,
          given !== undefined
            ? fromFile(`${at}.tls.verify`)
            : verify
              ? { _tag: "default" }
              : { _tag: "env", variable: TLS_ENV_VARIABLE },
        )
        return { verify, ...(ca ? { ca: ca.text } : {}), explicit }
      }
      switch (type) {
        case "text":
          return { type, name }
        case "slack": {
          const mode = (text("mode") ?? "socket") as "socket" | "http"
          const botToken = secretOf("bot_token")
          const appToken = secretOf("app_token")
          const signingSecret = secretOf("signing_secret")
          if (botToken === undefined) required("bot_token", "for Slack (the bot token, xoxb-...)")
          if (mode === "socket" && appToken === undefined)
            required("app_token", "in Socket Mode (an app-level token with connections:write, xapp-...)")
          if (mode === "http" && signingSecret === undefined)
            required("signing_secret", "with mode: http (the app's signing secret)")
          const tls = tlsOf()
          if (botToken === undefined) return undefined
          return {
            type,
            name,
            mode,
            botToken,
            appToken,
            signingSecret,
            apiUrl: text("api_url") ?? ADAPTER_DEFAULTS.slackApiUrl,
            http: {
              host: text("http_host") ?? ADAPTER_DEFAULTS.slackHttpHost,
              port: typeof raw.http_port === "number" ? raw.http_port : ADAPTER_DEFAULTS.slackHttpPort,
              path: text("http_path") ?? ADAPTER_DEFAULTS.slackHttpPath,
            },
            tls,
          }
        }
        case "discord": {
          const token = secretOf("token")
          const tls = tlsOf()
          if (token === undefined) {
            required("token", "for Discord (the bot token)")
            return undefined
          }
          return { type, name, token, apiUrl: text("api_url") ?? ADAPTER_DEFAULTS.discordApiUrl, tls }
        }
      }
    }
    for (const [i, item] of file.adapters.entries()) {
      const adapter = decodeAdapter(item, i)
      if (adapter) out.push(adapter)
    }
    return out
  }

  // NODE_TLS_REJECT_UNAUTHORIZED=0: refused without the opt-in, a warning with it.
  const tlsFindings = insecureTlsFindings({ adapters, optIn: insecureTlsForAll, env })
  if (tlsFindings.problem) problems.push(tlsFindings.problem)
  if (tlsFindings.warning) warnings.push(tlsFindings.warning)

  // 6. web
  const w = file.web
  const enabled = pick("web.enabled", [[w?.enabled, fromFile("web.enabled")]], false)
  if (w !== undefined && w.enabled === undefined && Object.keys(w).length > 0) {
    warnings.push({
      path: "web.enabled",
      message: "is not set, so the HTTP server stays off",
      hint: "add enabled: true to serve the webhook",
    })
  }
  const host = pick("web.host", [[w?.host, fromFile("web.host")]], DEFAULTS.webHost)
  const port = pick("web.port", [[w?.port, fromFile("web.port")]], DEFAULTS.webPort)
  const webhook = secret("web", [
    ["webhook_secret", w?.webhook_secret],
    ["webhook_secret_file", w?.webhook_secret_file],
  ])
  if (webhook) {
    sources.set("web.webhook_secret", webhook[1])
    if (Redacted.value(webhook[0]).length < DEFAULTS.webhookSecretMinLength) {
      problem(
        "web.webhook_secret",
        `is shorter than ${DEFAULTS.webhookSecretMinLength} characters`,
        "use a long random value, e.g. the output of `openssl rand -hex 32`",
      )
    }
  } else if (enabled && !hasProblemAt("web.webhook_secret")) {
    problem(
      "web.webhook_secret",
      "is required when web.enabled is true",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${VAR} syntax shown to the operator
      'set webhook_secret: "${STORMBOT_WEBHOOK_SECRET}" or webhook_secret_file: /run/secrets/...',
    )
  }

  // 7. limits
  const lim = file.limits
  const limit = <K extends keyof NonNullable<typeof lim>>(key: K, dflt: number): number =>
    pick(`limits.${key}`, [[lim?.[key] as number | undefined, fromFile(`limits.${key}`)]], dflt)
  const limits = {
    maxCommandLength: limit("max_command_length", DEFAULTS.maxCommandLength),
    matchTimeoutMs: Math.round(limit("match_timeout", DEFAULTS.matchTimeoutSeconds) * 1000),
    maxResponseBytes: limit("max_response_bytes", DEFAULTS.maxResponseBytes),
    streamSilenceMs: Math.round(limit("stream_silence", DEFAULTS.streamSilenceSeconds) * 1000),
    perUserConcurrency: limit("per_user_concurrency", DEFAULTS.perUserConcurrency),
    maxResultParts: limit("max_result_parts", DEFAULTS.maxResultParts),
    maxRequestBytes: limit("max_request_bytes", DEFAULTS.maxRequestBytes),
  }

  // 8. log
  const level = pick("log.level", [[file.log?.level, fromFile("log.level")]], DEFAULTS.logLevel)
  const format = pick("log.format", [[file.log?.format, fromFile("log.format")]], DEFAULTS.logFormat)

  if (problems.length > 0) return Either.left(new ConfigError({ source: sourceName, problems }))

  const config: StormbotConfig = {
    insecureTlsForAll,
    stackstorm: {
      authUrl,
      apiUrl,
      streamUrl,
      verifyCert,
      caCert: caCert?.text,
      clientCert: clientCert?.text,
      clientKey: clientKey && Redacted.make(clientKey.text),
      webuiUrl,
      routeKey,
      pluginPrefix,
      botPrefix,
      timerUpdateSeconds,
      sessionTtlSeconds,
      userTokenTtlSeconds,
      requestTimeoutMs: Math.round(requestTimeoutSeconds * 1000),
      apiAuth: {
        ...(keyPair ? { key: keyPair[0] } : {}),
        ...(tokenPair ? { token: tokenPair[0] } : {}),
        ...(user ? { user } : {}),
      },
      rbacAuth,
      secretsStore,
    },
    adapters,
    web: { enabled, host, port, ...(webhook ? { webhookSecret: webhook[0] } : {}) },
    limits,
    log: { level, format },
  }
  return Either.right({
    config,
    sources,
    ...(options.source === undefined ? {} : { file: options.source }),
    warnings,
  })
}

/** Removes the value at `at` (a bad value is reported once, then treated as not set). */
const dropPath = (tree: Record<string, unknown>, at: ConfigPath): void => {
  if (at.length === 0) {
    for (const k of Object.keys(tree)) delete tree[k]
    return
  }
  let node: unknown = tree
  for (const seg of at.slice(0, -1)) {
    if (node === null || typeof node !== "object") return
    node = (node as Record<string | number, unknown>)[seg]
  }
  if (node !== null && typeof node === "object") {
    const last = at[at.length - 1]!
    if (Array.isArray(node) && typeof last === "number") node[last] = undefined
    else delete (node as Record<string | number, unknown>)[last]
  }
}

/**
 * YAML `key:` with nothing after it is null. It means "not set", except for the markers whose
 * presence is the setting (`rbac_auth: {standalone:}`, `secrets_store: {cleartext:}`), which mean
 * `{}`. `secrets_store: vault` (err-stackstorm's string form) becomes `{vault: {}}`.
 */
const normaliseEmpty = (
  node: Record<string, unknown>,
  at: ConfigPath,
  problem: (path: string, message: string, hint?: string) => void,
): void => {
  const here = formatPath(at)
  for (const [k, v] of Object.entries(node)) {
    if (v === null) {
      if (here === "stackstorm.rbac_auth" || here === "stackstorm.secrets_store") node[k] = {}
      else delete node[k]
    } else if (here === "stackstorm" && k === "secrets_store" && typeof v === "string") {
      if ((SECRETS_STORES as ReadonlyArray<string>).includes(v)) node[k] = { [v]: {} }
      else {
        problem(
          "stackstorm.secrets_store",
          `must be one of ${SECRETS_STORES.map((x) => `\`${x}\``).join(", ")}, got \`${v}\``,
          suggestion(v, SECRETS_STORES, "valid values"),
        )
        delete node[k]
      }
    } else if (isRecord(v)) normaliseEmpty(v, [...at, k], problem)
  }
}
