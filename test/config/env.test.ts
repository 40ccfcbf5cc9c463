// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${VAR} syntax
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { interpolateEnv } from "../../src/config/interpolateEnv.ts"
import { decodeErr, decodeOk, minimal, problemAt } from "./helpers.ts"

describe("${VAR} interpolation", () => {
  it("replaces variables at any depth, with :- fallbacks and $${ escapes", () => {
    const r = interpolateEnv(
      { a: "x-${A}-y", b: [{ c: "${B:-fb}" }], d: "$${A}", e: "${E:-}", n: 5, cost: "$5" },
      { A: "1", E: "" },
    )
    expect(r.value).toEqual({ a: "x-1-y", b: [{ c: "fb" }], d: "${A}", e: "", n: 5, cost: "$5" })
    expect(r.problems).toEqual([])
    expect(r.variables.get("a")).toEqual(["A"])
    expect(r.variables.get("b[0].c")).toEqual(["B"])
  })

  it("a missing variable is a problem at its path, naming the variable", () => {
    const e = decodeErr({
      stackstorm: { api_auth: { user: { name: "u", password: "${ST2_PASSWORD}" } }, route_key: "${NOPE}" },
    })
    expect(problemAt(e, "stackstorm.api_auth.user.password").message).toBe(
      "uses the environment variable ST2_PASSWORD, which is not set",
    )
    expect(problemAt(e, "stackstorm.route_key").hint).toMatch(/set NOPE/)
    // The password is not reported missing a second time.
    expect(e.problems.filter((p) => p.path.startsWith("stackstorm.api_auth"))).toHaveLength(1)
  })

  it("malformed references are problems", () => {
    const e = decodeErr({ ...minimal, log: { level: "${1X}", format: "${OPEN" } })
    expect(problemAt(e, "log.level").message).toMatch(/not a valid environment variable reference/)
    expect(problemAt(e, "log.format").message).toMatch(/without its closing/)
  })

  it("records the variables a file value used as its source", () => {
    const { sources, config } = decodeOk(
      { stackstorm: { api_auth: { token: "${TOK}" } } },
      { env: { TOK: "t" } },
    )
    expect(Redacted.value(config.stackstorm.apiAuth.token!)).toBe("t")
    expect(sources.get("stackstorm.api_auth.token")).toMatchObject({ _tag: "file", variables: ["TOK"] })
  })
})

describe("st2chatops variables", () => {
  const st2chatops = {
    ST2_API_URL: "https://st2.example.com/api",
    ST2_AUTH_URL: "https://st2.example.com/auth",
    ST2_STREAM_URL: "https://st2.example.com/stream",
    ST2_API_KEY: "",
    ST2_AUTH_USERNAME: "st2admin",
    ST2_AUTH_PASSWORD: "testp",
    ST2_ROUTE: "chatops",
    ST2_COMMANDS_RELOAD_INTERVAL: "120",
    ST2_WEBUI_URL: "https://st2.example.com",
  }

  it("an st2chatops.env alone is a complete configuration, with hubot-stackstorm's URL meaning", () => {
    const { config, sources } = decodeOk({}, { env: st2chatops })
    const s = config.stackstorm
    expect(s.apiUrl).toBe("https://st2.example.com/api/v1")
    expect(s.streamUrl).toBe("https://st2.example.com/stream/v1")
    // hubot-stackstorm posts `${ST2_AUTH_URL}/tokens`; st2auth serves it with or without /v1.
    expect(s.authUrl).toBe("https://st2.example.com/auth")
    expect(s.routeKey).toBe("chatops")
    expect(s.timerUpdateSeconds).toBe(120)
    expect(s.webuiUrl).toBe("https://st2.example.com")
    expect(s.apiAuth.key).toBeUndefined() // st2chatops.env exports it empty: empty means unset
    expect(s.apiAuth.user?.name).toBe("st2admin")
    expect(Redacted.value(s.apiAuth.user!.password)).toBe("testp")
    expect(sources.get("stackstorm.api_url")).toEqual({ _tag: "env", variable: "ST2_API_URL" })
    expect(sources.get("stackstorm.api_auth.user.password")).toEqual({
      _tag: "env",
      variable: "ST2_AUTH_PASSWORD",
    })
    expect(sources.get("stackstorm.timer_update")).toEqual({
      _tag: "env",
      variable: "ST2_COMMANDS_RELOAD_INTERVAL",
    })
  })

  it("ST2_API_URL as host:port base gets /v1; one already ending in /v1 is kept", () => {
    expect(
      decodeOk(minimal, { env: { ST2_API_URL: "http://localhost:9101" } }).config.stackstorm.apiUrl,
    ).toBe("http://localhost:9101/v1")
    expect(decodeOk(minimal, { env: { ST2_API_URL: "https://h/api/v1/" } }).config.stackstorm.apiUrl).toBe(
      "https://h/api/v1",
    )
  })

  it("without ST2_STREAM_URL the stream is looked for under the API base, as hubot-stackstorm does, with a warning", () => {
    const loaded = decodeOk(minimal, {
      env: { ST2_API_URL: "https://h/api", ST2_AUTH_URL: "https://h/auth" },
    })
    expect(loaded.config.stackstorm.streamUrl).toBe("https://h/api/v1")
    expect(loaded.warnings.map((w) => w.path)).toContain("stackstorm.stream_url")
  })

  it("the file wins over the environment, value by value", () => {
    const { config, sources } = decodeOk(
      { stackstorm: { url: "https://file", route_key: "errbot", api_auth: { user: { name: "fromfile" } } } },
      { env: { ...st2chatops, ST2_API_KEY: "envkey" } },
    )
    expect(config.stackstorm.apiUrl).toBe("https://file/api/v1")
    expect(config.stackstorm.routeKey).toBe("errbot")
    expect(config.stackstorm.timerUpdateSeconds).toBe(120)
    expect(config.stackstorm.apiAuth.user?.name).toBe("fromfile")
    expect(sources.get("stackstorm.api_auth.user.password")).toEqual({
      _tag: "env",
      variable: "ST2_AUTH_PASSWORD",
    })
    expect(Redacted.value(config.stackstorm.apiAuth.key!)).toBe("envkey")
  })

  it("bad variable values are problems naming the variable", () => {
    const e = decodeErr(minimal, {
      env: { ST2_API_URL: "st2.example.com", ST2_COMMANDS_RELOAD_INTERVAL: "soon" },
    })
    expect(problemAt(e, "stackstorm.api_url").message).toBe(
      "(from ST2_API_URL) `st2.example.com` is not a URL",
    )
    expect(problemAt(e, "stackstorm.timer_update").message).toMatch(
      /^\(from ST2_COMMANDS_RELOAD_INTERVAL\) must be a whole number/,
    )
  })
})
