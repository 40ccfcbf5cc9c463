import type { AdapterDefinition } from "../adapters/AdapterDefinition.ts"
import { ADAPTERS } from "../adapters/adapterRegistry.ts"
import type { LoadedConfig, ValueSource } from "./LoadedConfig.ts"

const REDACTED = "<redacted>"

/** How a value's origin reads in `config check`: `file`, `file (stackstorm.url)`, `env ST2_API_KEY`... */
export const describeSource = (source: ValueSource | undefined, path: string): string => {
  if (source === undefined) return ""
  switch (source._tag) {
    case "default":
      return "default"
    case "env":
      return `env ${source.variable}`
    case "file": {
      const details = [
        ...(source.key === path ? [] : [source.key]),
        ...(source.variables?.length ? [source.variables.map((v) => `\${${v}}`).join(" ")] : []),
        ...(source.readFrom === undefined ? [] : [`read from ${source.readFrom}`]),
      ]
      return details.length === 0 ? "file" : `file (${details.join(", ")})`
    }
  }
}

/** A scalar as YAML would read it back: quoted only when plain text would read differently. */
const scalar = (v: string | number | boolean): string =>
  typeof v === "string" &&
  (v === "" ||
    /^\s|\s$/.test(v) ||
    /^[!&*?|>'"%@`{}[\],#-]/.test(v) ||
    /: | #|:$/.test(v) ||
    /^(true|false|yes|no|on|off|null|~)$/i.test(v) ||
    /^[-+]?(\d|\.\d)/.test(v))
    ? JSON.stringify(v)
    : String(v)

interface Line {
  readonly text: string
  readonly source: string
}

/**
 * The effective configuration as YAML, each value followed by its source as a comment. Secrets
 * print as `<redacted>`, PEM contents as their size; the output never contains a secret. Each
 * adapter shows its settings through its registry entry (`AdapterDefinition.show`), then its `tls`.
 */
export const renderEffectiveConfig = (loaded: LoadedConfig): string => {
  const { config: c, sources } = loaded
  const lines: Line[] = []
  const section = (depth: number, key: string) =>
    lines.push({ text: `${"  ".repeat(depth)}${key}:`, source: "" })
  const value = (
    depth: number,
    key: string,
    path: string,
    v: string | number | boolean | undefined,
    raw = false,
  ) => {
    if (v === undefined) return
    lines.push({
      text: `${"  ".repeat(depth)}${key}: ${raw ? String(v) : scalar(v)}`,
      source: describeSource(sources.get(path), path),
    })
  }
  value(0, "insecure_tls_for_all", "insecure_tls_for_all", c.insecureTlsForAll)
  const s = c.stackstorm
  const st = "stackstorm"
  section(0, st)
  value(1, "auth_url", `${st}.auth_url`, s.authUrl)
  value(1, "api_url", `${st}.api_url`, s.apiUrl)
  value(1, "stream_url", `${st}.stream_url`, s.streamUrl)
  value(1, "verify_cert", `${st}.verify_cert`, s.verifyCert)
  value(1, "ca_cert", `${st}.ca_cert`, s.caCert && `<PEM, ${s.caCert.length} bytes>`, true)
  value(1, "client_cert", `${st}.client_cert`, s.clientCert && `<PEM, ${s.clientCert.length} bytes>`, true)
  value(1, "client_key", `${st}.client_key`, s.clientKey && REDACTED, true)
  value(1, "webui_url", `${st}.webui_url`, s.webuiUrl)
  value(1, "route_key", `${st}.route_key`, s.routeKey)
  value(1, "plugin_prefix", `${st}.plugin_prefix`, s.pluginPrefix)
  value(1, "bot_prefix", `${st}.bot_prefix`, s.botPrefix)
  value(1, "timer_update", `${st}.timer_update`, s.timerUpdateSeconds)
  value(1, "session_ttl", `${st}.session_ttl`, s.sessionTtlSeconds)
  value(1, "user_token_ttl", `${st}.user_token_ttl`, s.userTokenTtlSeconds)
  value(1, "request_timeout", `${st}.request_timeout`, s.requestTimeoutMs / 1000)
  section(1, "api_auth")
  value(2, "key", `${st}.api_auth.key`, s.apiAuth.key && REDACTED, true)
  value(2, "token", `${st}.api_auth.token`, s.apiAuth.token && REDACTED, true)
  if (s.apiAuth.user) {
    section(2, "user")
    value(3, "name", `${st}.api_auth.user.name`, s.apiAuth.user.name)
    value(3, "password", `${st}.api_auth.user.password`, REDACTED, true)
  }
  section(1, "rbac_auth")
  if (s.rbacAuth._tag === "clientside") {
    section(2, "clientside")
    value(3, "url", `${st}.rbac_auth.clientside.url`, s.rbacAuth.url)
  } else value(2, s.rbacAuth._tag, `${st}.rbac_auth`, "{}", true)
  const ss = s.secretsStore
  const sp = `${st}.secrets_store`
  if (ss._tag === "cleartext") value(1, "secrets_store", sp, "cleartext")
  else {
    section(1, "secrets_store")
    if (ss._tag === "keyring") {
      section(2, "keyring")
      value(3, "service", `${sp}.keyring.service`, ss.service)
    } else {
      section(2, "vault")
      value(3, "url", `${sp}.vault.url`, ss.url)
      value(3, "token", `${sp}.vault.token`, REDACTED, true)
      value(3, "mount", `${sp}.vault.mount`, ss.mount)
      value(3, "path", `${sp}.vault.path`, ss.path)
      value(3, "namespace", `${sp}.vault.namespace`, ss.namespace)
    }
  }
  section(0, "adapters")
  const registry: ReadonlyArray<AdapterDefinition> = ADAPTERS
  c.adapters.forEach((a, i) => {
    const at = `adapters[${i}]`
    lines.push({
      text: `  - type: ${scalar(a.type)}`,
      source: describeSource(sources.get(`${at}.type`), `${at}.type`),
    })
    value(2, "name", `${at}.name`, a.name)
    const definition = registry.find((d) => d.type === a.type)
    definition?.show(a, {
      value: (key, v) => value(2, key, `${at}.${key}`, v),
      secret: (key, v) => value(2, key, `${at}.${key}`, v && REDACTED, true),
    })
    if (definition?.tls !== undefined && "tls" in a) {
      section(2, "tls")
      value(3, "verify", `${at}.tls.verify`, a.tls.verify)
      value(3, "ca_file", `${at}.tls.ca_file`, a.tls.ca && `<PEM, ${a.tls.ca.length} bytes>`, true)
    }
  })
  section(0, "web")
  value(1, "enabled", "web.enabled", c.web.enabled)
  value(1, "host", "web.host", c.web.host)
  value(1, "port", "web.port", c.web.port)
  value(1, "webhook_secret", "web.webhook_secret", c.web.webhookSecret && REDACTED, true)
  section(0, "limits")
  const l = c.limits
  value(1, "max_command_length", "limits.max_command_length", l.maxCommandLength)
  value(1, "match_timeout", "limits.match_timeout", l.matchTimeoutMs / 1000)
  value(1, "max_response_bytes", "limits.max_response_bytes", l.maxResponseBytes)
  value(1, "stream_silence", "limits.stream_silence", l.streamSilenceMs / 1000)
  value(1, "per_user_concurrency", "limits.per_user_concurrency", l.perUserConcurrency)
  value(1, "max_result_parts", "limits.max_result_parts", l.maxResultParts)
  value(1, "max_request_bytes", "limits.max_request_bytes", l.maxRequestBytes)
  section(0, "log")
  value(1, "level", "log.level", c.log.level)
  value(1, "format", "log.format", c.log.format)

  const width = Math.min(64, Math.max(...lines.map((l) => l.text.length)))
  const header = `# effective configuration from ${loaded.file ?? "the environment and defaults (no file)"}; # <source> after each value`
  return [
    header,
    ...lines.map((l) => (l.source === "" ? l.text : `${l.text.padEnd(width)}  # ${l.source}`)),
  ].join("\n")
}
