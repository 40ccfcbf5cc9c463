import { describe, expect, it } from "vitest"
import { InsecureTlsRefused, insecureTlsFindings } from "../../src/config/insecureTls.ts"
import { renderEffectiveConfig } from "../../src/config/renderEffectiveConfig.ts"
import { decodeErr, decodeOk, memoryFiles, minimal, problemAt } from "./helpers.ts"

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBproxyCA\n-----END CERTIFICATE-----\n"
const files = memoryFiles({ "/cfg/proxy-ca.pem": PEM, "/cfg/not.pem": "hello" })
const insecureEnv = { NODE_TLS_REJECT_UNAUTHORIZED: "0" }

const chat = [
  { type: "text" },
  { type: "slack", bot_token: "xoxb-1", app_token: "xapp-1" },
  { type: "discord", name: "dc", token: "d-1" },
]

describe("adapters: tls", () => {
  it("defaults to verify: true with Node's roots, from nothing set", () => {
    const loaded = decodeOk({ ...minimal, adapters: chat })
    const [, slack, discord] = loaded.config.adapters
    expect(slack).toMatchObject({ tls: { verify: true, explicit: false } })
    expect(discord).toMatchObject({ tls: { verify: true, explicit: false } })
    expect("ca" in (slack as { tls: object }).tls).toBe(false)
    expect(loaded.sources.get("adapters[1].tls.verify")).toEqual({ _tag: "default" })
  })

  it("reads ca_file (PEM) at load, relative to the configuration's folder; verify: false warns", () => {
    const loaded = decodeOk(
      {
        ...minimal,
        adapters: [
          { type: "slack", bot_token: "xoxb-1", app_token: "xapp-1", tls: { ca_file: "proxy-ca.pem" } },
          { type: "discord", token: "d-1", tls: { verify: false } },
        ],
      },
      { readFile: files },
    )
    const [slack, discord] = loaded.config.adapters
    expect(slack).toMatchObject({ tls: { verify: true, ca: PEM, explicit: true } })
    expect(loaded.sources.get("adapters[0].tls.ca_file")).toMatchObject({ readFrom: "/cfg/proxy-ca.pem" })
    expect(discord).toMatchObject({ tls: { verify: false, explicit: true } })
    const warning = loaded.warnings.find((w) => w.path === "adapters[1].tls.verify")
    expect(warning?.message).toBe(
      "is false: adapter `discord` accepts any certificate on Discord's REST API, the Discord gateway WebSocket",
    )
    expect(warning?.hint).toMatch(/tls\.ca_file/)
  })

  it("reports a ca_file that is not PEM, a bad verify and an unknown key, all at once", () => {
    const e = decodeErr(
      {
        ...minimal,
        adapters: [
          { type: "slack", bot_token: "xoxb-1", app_token: "xapp-1", tls: { ca_file: "not.pem" } },
          { type: "discord", token: "d-1", tls: { verify: "sometimes", ca: "x" } },
        ],
      },
      { readFile: files },
    )
    expect(problemAt(e, "adapters[0].tls.ca_file").message).toMatch(/not a PEM file/)
    expect(problemAt(e, "adapters[1].tls.verify").message).toMatch(/true or false/)
    expect(problemAt(e, "adapters[1].tls.ca").message).toMatch(/unknown key/)
  })

  it("config check shows tls with its sources and the CA's size, never its contents", () => {
    const loaded = decodeOk(
      {
        ...minimal,
        adapters: [{ type: "discord", token: "d-1", tls: { ca_file: "proxy-ca.pem" } }],
      },
      { readFile: files },
    )
    const text = renderEffectiveConfig(loaded)
    expect(text).toMatch(/insecure_tls_for_all: false +# default/)
    expect(text).toMatch(
      / {4}tls:\n {6}verify: true +# default\n {6}ca_file: <PEM, \d+ bytes> +# file \(read from \/cfg\/proxy-ca\.pem\)/,
    )
    expect(text).not.toContain("MIIBproxyCA")
  })
})

describe("NODE_TLS_REJECT_UNAUTHORIZED=0 (st2chatops.env)", () => {
  it("without insecure_tls_for_all: a problem naming each adapter's connections, listed with the others", () => {
    const e = decodeErr({ ...minimal, adapters: chat, log: { level: "loud" } }, { env: insecureEnv })
    expect(e.problems.map((p) => p.path).sort()).toEqual(["insecure_tls_for_all", "log.level"])
    const p = problemAt(e, "insecure_tls_for_all")
    expect(p.message).toBe(
      "NODE_TLS_REJECT_UNAUTHORIZED=0 is set, which makes Node accept any TLS certificate on connections that do not set their own TLS options: " +
        "it would turn off certificate checks on adapter `slack` (the Slack Web API, the Socket Mode WebSocket); " +
        "adapter `dc` (Discord's REST API, the Discord gateway WebSocket). " +
        "stormbot's StackStorm client is not affected: it passes its own TLS options (stackstorm.verify_cert, stackstorm.ca_cert)",
    )
    expect(p.hint).toMatch(/unset NODE_TLS_REJECT_UNAUTHORIZED \(remove it from st2chatops\.env/)
    expect(p.hint).toMatch(/tls\.ca_file/)
    expect(p.hint).toMatch(/insecure_tls_for_all: true/)
  })

  it("an adapter that sets tls keeps it and is not listed; the terminal alone is still refused", () => {
    const withCa = decodeErr(
      {
        ...minimal,
        adapters: [
          {
            type: "slack",
            mode: "http",
            bot_token: "xoxb-1",
            signing_secret: "s",
            tls: { ca_file: "proxy-ca.pem" },
          },
          { type: "discord", token: "d-1" },
        ],
      },
      { env: insecureEnv, readFile: files },
    )
    const message = problemAt(withCa, "insecure_tls_for_all").message
    expect(message).toContain(
      "on adapter `discord` (Discord's REST API, the Discord gateway WebSocket); adapter `slack` sets tls and keeps it.",
    )
    const terminal = problemAt(decodeErr(minimal, { env: insecureEnv }), "insecure_tls_for_all").message
    expect(terminal).toContain(
      "no connection stormbot configures would be affected, but any other TLS connection in this process would accept any certificate",
    )
  })

  it("with insecure_tls_for_all: true it starts: the adapters without tls stop checking, with a warning naming them", () => {
    const loaded = decodeOk(
      {
        ...minimal,
        insecure_tls_for_all: true,
        adapters: [
          ...chat,
          { type: "discord", name: "checked", token: "d-2", tls: { ca_file: "proxy-ca.pem" } },
        ],
      },
      { env: insecureEnv, readFile: files },
    )
    const [, slack, dc, checked] = loaded.config.adapters
    expect(slack).toMatchObject({ tls: { verify: false, explicit: false } })
    expect(dc).toMatchObject({ tls: { verify: false } })
    expect(checked).toMatchObject({ tls: { verify: true, ca: PEM } })
    expect(loaded.config.stackstorm.verifyCert).toBe(true)
    expect(loaded.sources.get("adapters[1].tls.verify")).toEqual({
      _tag: "env",
      variable: "NODE_TLS_REJECT_UNAUTHORIZED",
    })
    const warnings = loaded.warnings.filter((w) => w.path === "insecure_tls_for_all")
    expect(warnings).toHaveLength(1)
    expect(warnings[0]!.message).toBe(
      "is true and NODE_TLS_REJECT_UNAUTHORIZED=0 is set: it turns off certificate checks on adapter `slack` (the Slack Web API, the Socket Mode WebSocket); " +
        "adapter `dc` (Discord's REST API, the Discord gateway WebSocket); adapter `checked` sets tls and keeps it. " +
        "stormbot's StackStorm client is not affected: it passes its own TLS options (stackstorm.verify_cert, stackstorm.ca_cert)",
    )
  })

  it("only the exact value 0 counts, as for Node; insecure_tls_for_all without it warns that it does nothing", () => {
    for (const value of ["1", "", "false"])
      expect(
        decodeOk({ ...minimal, adapters: chat }, { env: { NODE_TLS_REJECT_UNAUTHORIZED: value } }).warnings,
      ).toEqual([])
    const useless = decodeOk({ ...minimal, insecure_tls_for_all: true, adapters: chat })
    expect(useless.config.adapters[1]).toMatchObject({ tls: { verify: true } })
    expect(useless.warnings).toEqual([
      {
        path: "insecure_tls_for_all",
        message: "is true but NODE_TLS_REJECT_UNAUTHORIZED is not 0, so it changes nothing",
        hint: "remove it, so that setting NODE_TLS_REJECT_UNAUTHORIZED=0 later is refused again",
      },
    ])
  })

  it("InsecureTlsRefused carries the same problem, as a tagged error", () => {
    const { config } = decodeOk({ ...minimal, adapters: chat })
    const { problem } = insecureTlsFindings({ adapters: config.adapters, optIn: false, env: insecureEnv })
    const error = new InsecureTlsRefused({ problem: problem! })
    expect(error._tag).toBe("InsecureTlsRefused")
    expect(error.message).toContain("adapter `slack` (the Slack Web API, the Socket Mode WebSocket)")
    expect(error.message).toContain("hint: unset NODE_TLS_REJECT_UNAUTHORIZED")
  })
})
