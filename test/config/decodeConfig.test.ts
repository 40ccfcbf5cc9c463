// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${VAR} syntax
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { st2Endpoints } from "../../src/config/StormbotConfig.ts"
import { decodeErr, decodeOk, memoryFiles, minimal, problemAt } from "./helpers.ts"

describe("decodeConfig: defaults and shapes", () => {
  it("applies err-stackstorm's defaults", () => {
    const { config, sources } = decodeOk(minimal)
    expect(config.stackstorm).toMatchObject({
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
      requestTimeoutMs: 10_000,
      rbacAuth: { _tag: "standalone" },
      secretsStore: { _tag: "cleartext" },
    })
    expect(config.adapters).toEqual([{ type: "text", name: "text" }])
    expect(config.web).toEqual({ enabled: false, host: "127.0.0.1", port: 8080 })
    expect(config.log).toEqual({ level: "info", format: "auto" })
    expect(sources.get("stackstorm.route_key")).toEqual({ _tag: "default" })
    expect(sources.get("stackstorm.api_auth.key")).toMatchObject({
      _tag: "file",
      key: "stackstorm.api_auth.key",
    })
  })

  it("expands the url shorthand; explicit URLs win; trailing slashes go", () => {
    const { config, sources } = decodeOk({
      stackstorm: {
        ...minimal.stackstorm,
        url: "https://st2.example.com/",
        stream_url: "https://s.example.com/stream/v1/",
      },
    })
    expect(config.stackstorm.authUrl).toBe("https://st2.example.com/auth/v1")
    expect(config.stackstorm.apiUrl).toBe("https://st2.example.com/api/v1")
    expect(config.stackstorm.streamUrl).toBe("https://s.example.com/stream/v1")
    expect(sources.get("stackstorm.api_url")).toMatchObject({ _tag: "file", key: "stackstorm.url" })
    expect(sources.get("stackstorm.stream_url")).toMatchObject({ _tag: "file", key: "stackstorm.stream_url" })
  })

  it("derives St2Endpoints", () => {
    const { config } = decodeOk({
      stackstorm: { ...minimal.stackstorm, url: "https://h", verify_cert: false, request_timeout: 2.5 },
    })
    expect(st2Endpoints(config)).toEqual({
      authUrl: "https://h/auth/v1",
      apiUrl: "https://h/api/v1",
      streamUrl: "https://h/stream/v1",
      verifyCert: false,
      caCert: undefined,
      requestTimeoutMs: 2500,
    })
  })

  it("accepts an empty plugin_prefix (st2chatops style commands)", () => {
    expect(
      decodeOk({ stackstorm: { ...minimal.stackstorm, plugin_prefix: "" } }).config.stackstorm.pluginPrefix,
    ).toBe("")
  })

  it("decodes rbac_auth methods, including YAML's empty `standalone:` (null)", () => {
    expect(
      decodeOk({ stackstorm: { ...minimal.stackstorm, rbac_auth: { serverside: null } } }).config.stackstorm
        .rbacAuth,
    ).toEqual({
      _tag: "serverside",
    })
    expect(
      decodeOk({
        stackstorm: { ...minimal.stackstorm, rbac_auth: { clientside: { url: "https://bot/login/" } } },
      }).config.stackstorm.rbacAuth,
    ).toEqual({ _tag: "clientside", url: "https://bot/login" })
  })

  it("decodes secrets_store string and mapping forms", () => {
    expect(
      decodeOk({ stackstorm: { ...minimal.stackstorm, secrets_store: "keyring" } }).config.stackstorm
        .secretsStore,
    ).toEqual({
      _tag: "keyring",
      service: "stormbot",
    })
    const vault = decodeOk({
      stackstorm: {
        ...minimal.stackstorm,
        secrets_store: { vault: { url: "https://vault:8200", token: "hvs.x", path: "bots/st2" } },
      },
    }).config.stackstorm.secretsStore
    expect(vault).toMatchObject({
      _tag: "vault",
      url: "https://vault:8200",
      mount: "secret",
      path: "bots/st2",
    })
    if (vault._tag === "vault") expect(Redacted.value(vault.token)).toBe("hvs.x")
    const fromEnv = decodeOk(
      { stackstorm: { ...minimal.stackstorm, secrets_store: "vault" } },
      { env: { VAULT_ADDR: "https://v:8200", VAULT_TOKEN: "t" } },
    ).config.stackstorm.secretsStore
    expect(fromEnv).toMatchObject({ _tag: "vault", url: "https://v:8200" })
  })

  it("keeps every credential configured (precedence is the credential actor's) and warns", () => {
    const loaded = decodeOk({
      stackstorm: { api_auth: { key: "K", token: "T", user: { name: "bot", password: "P" } } },
    })
    const auth = loaded.config.stackstorm.apiAuth
    expect(Redacted.value(auth.key!)).toBe("K")
    expect(Redacted.value(auth.token!)).toBe("T")
    expect(auth.user?.name).toBe("bot")
    expect(Redacted.value(auth.user!.password)).toBe("P")
    expect(loaded.warnings.map((w) => w.path)).toContain("stackstorm.api_auth")
  })

  it("accepts err-stackstorm's `apikey` spelling", () => {
    expect(
      Redacted.value(decodeOk({ stackstorm: { api_auth: { apikey: "A" } } }).config.stackstorm.apiAuth.key!),
    ).toBe("A")
  })

  it("accepts numbers and booleans given as text (as ${VAR} yields)", () => {
    const { config } = decodeOk(
      {
        stackstorm: { ...minimal.stackstorm, timer_update: "${T}", verify_cert: "false" },
        web: { port: "${P}" },
      },
      { env: { T: "30", P: "9000" } },
    )
    expect(config.stackstorm.timerUpdateSeconds).toBe(30)
    expect(config.stackstorm.verifyCert).toBe(false)
    expect(config.web.port).toBe(9000)
  })

  it("decodes adapters with default names, and web with a secret", () => {
    const { config } = decodeOk({
      ...minimal,
      adapters: [{ type: "text" }, { type: "text", name: "second" }],
      web: { enabled: true, port: 0, webhook_secret: "0123456789abcdef" },
    })
    expect(config.adapters).toEqual([
      { type: "text", name: "text" },
      { type: "text", name: "second" },
    ])
    expect(config.web.enabled).toBe(true)
    expect(Redacted.value(config.web.webhookSecret!)).toBe("0123456789abcdef")
  })

  it("without a credential, fails unless requireCredential is false (the demo's in-code config)", () => {
    expect(problemAt(decodeErr({}), "stackstorm.api_auth").hint).toMatch(/ST2_API_KEY/)
    expect(decodeOk({}, { requireCredential: false }).config.stackstorm.apiAuth).toEqual({})
  })
})

describe("decodeConfig: *_file secrets and certificates", () => {
  const files = memoryFiles({
    "/cfg/pw": "s3cret\n",
    "/run/secrets/key": "the-key\r\n",
    "/cfg/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "/cfg/not.pem": "hello",
    "/cfg/empty": "\n",
  })

  it("reads *_file contents, trims the trailing newline, resolves relative paths at the config's folder", () => {
    const loaded = decodeOk(
      {
        stackstorm: {
          api_auth: { key_file: "/run/secrets/key", user: { name: "u", password_file: "pw" } },
          ca_cert: "ca.pem",
        },
      },
      { readFile: files },
    )
    const s = loaded.config.stackstorm
    expect(Redacted.value(s.apiAuth.key!)).toBe("the-key")
    expect(Redacted.value(s.apiAuth.user!.password)).toBe("s3cret")
    expect(s.caCert).toContain("BEGIN CERTIFICATE")
    expect(loaded.sources.get("stackstorm.api_auth.user.password")).toEqual({
      _tag: "file",
      path: "<inline>",
      key: "stackstorm.api_auth.user.password_file",
      readFrom: "/cfg/pw",
    })
  })

  it("reports unreadable, empty and non-PEM files, and value + _file both set", () => {
    const e = decodeErr(
      {
        stackstorm: {
          api_auth: {
            key_file: "missing",
            token_file: "empty",
            user: { name: "u", password: "p", password_file: "pw" },
          },
          ca_cert: "not.pem",
        },
      },
      { readFile: files },
    )
    expect(problemAt(e, "stackstorm.api_auth.key_file").message).toBe("cannot read `missing`: no such file")
    expect(problemAt(e, "stackstorm.api_auth.token_file").message).toMatch(/is empty/)
    expect(problemAt(e, "stackstorm.ca_cert").message).toMatch(/not a PEM file/)
    expect(problemAt(e, "stackstorm.api_auth.user.password").message).toMatch(
      /`password` and `password_file`/,
    )
  })
})

describe("adapters: Slack and Discord settings", () => {
  it("decodes them with defaults, secrets Redacted, and reads *_file secrets", () => {
    const loaded = decodeOk(
      {
        ...minimal,
        adapters: [
          { type: "slack", bot_token: "xoxb-1", app_token_file: "/run/app" },
          {
            type: "slack",
            name: "gov",
            mode: "http",
            bot_token: "xoxb-2",
            signing_secret: "sig",
            api_url: "https://slack-gov.com/api/",
            http_port: 3100,
          },
          { type: "discord", token_file: "/run/discord" },
        ],
      },
      { readFile: memoryFiles({ "/run/app": "xapp-9\n", "/run/discord": "dtok\n" }) },
    )
    const [socket, http, discord] = loaded.config.adapters as ReadonlyArray<Record<string, unknown>>
    expect(socket).toMatchObject({
      type: "slack",
      name: "slack",
      mode: "socket",
      apiUrl: "https://slack.com/api",
    })
    expect(Redacted.value(socket!.appToken as Redacted.Redacted<string>)).toBe("xapp-9")
    expect(http).toMatchObject({
      name: "gov",
      mode: "http",
      apiUrl: "https://slack-gov.com/api",
      http: { host: "127.0.0.1", port: 3100, path: "/slack/events" },
    })
    expect(discord).toMatchObject({ type: "discord", name: "discord", apiUrl: "https://discord.com/api" })
    expect(Redacted.value(discord!.token as Redacted.Redacted<string>)).toBe("dtok")
    expect(loaded.sources.get("adapters[2].token")).toMatchObject({ _tag: "file" })
  })
})
