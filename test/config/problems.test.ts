import { describe, expect, it } from "vitest"
import { formatConfigError } from "../../src/config/formatConfigError.ts"
import { decodeErr, minimal, problemAt } from "./helpers.ts"

describe("decodeConfig: every problem, with its path and a hint", () => {
  it("unknown keys get a did-you-mean from the keys of their own mapping", () => {
    const e = decodeErr({
      stackstorm: { ...minimal.stackstorm, route_ky: "x" },
      stackstrom: {},
      web: { prot: 1 },
    })
    expect(problemAt(e, "stackstorm.route_ky")).toEqual({
      path: "stackstorm.route_ky",
      message: "unknown key `route_ky`",
      hint: "did you mean `route_key`?",
    })
    expect(problemAt(e, "stackstrom").hint).toBe("did you mean `stackstorm`?")
    expect(problemAt(e, "web.prot").hint).toBe("did you mean `port`?")
  })

  it("an unknown key with no close match lists the known keys", () => {
    expect(problemAt(decodeErr({ ...minimal, log: { colour: 1 } }), "log.colour").hint).toBe(
      "known keys here: `level`, `format`",
    )
  })

  it("wrong types, bad URLs, bad enums, out-of-range numbers", () => {
    const e = decodeErr({
      stackstorm: {
        ...minimal.stackstorm,
        api_url: "ftp://st2/api",
        auth_url: "not a url",
        webui_url: "https://st2/?x=1",
        verify_cert: "maybe",
        timer_update: 0,
        api_auth: "key",
      },
      web: { port: 70000 },
      log: { level: "warn", format: "xml" },
    })
    expect(problemAt(e, "stackstorm.api_url").message).toBe("`ftp://st2/api` is not an http(s) URL")
    expect(problemAt(e, "stackstorm.auth_url").message).toBe("`not a url` is not a URL")
    expect(problemAt(e, "stackstorm.webui_url").message).toMatch(/query/)
    expect(problemAt(e, "stackstorm.verify_cert").message).toBe("must be true or false, got `maybe`")
    expect(problemAt(e, "stackstorm.timer_update").message).toMatch(/between 1 and/)
    expect(problemAt(e, "stackstorm.api_auth").message).toBe("must be a mapping (key: value lines), got text")
    expect(problemAt(e, "web.port").message).toBe("must be between 0 and 65535, got 70000")
    expect(problemAt(e, "log.level").hint).toBe("did you mean `warning`?")
    expect(problemAt(e, "log.format").message).toMatch(/one of `auto`, `json`, `pretty`/)
    // Nothing else: the missing credential is not reported again when api_auth itself is wrong.
    expect(e.problems).toHaveLength(9)
  })

  it("two rbac_auth methods, and clientside without its url", () => {
    const two = decodeErr({
      stackstorm: { ...minimal.stackstorm, rbac_auth: { standalone: {}, serverside: {} } },
    })
    expect(problemAt(two, "stackstorm.rbac_auth").message).toBe(
      "sets 2 methods (standalone, serverside); exactly one is allowed",
    )
    const noUrl = decodeErr({ stackstorm: { ...minimal.stackstorm, rbac_auth: { clientside: {} } } })
    expect(problemAt(noUrl, "stackstorm.rbac_auth.clientside.url").message).toMatch(/required/)
    const extra = decodeErr({ stackstorm: { ...minimal.stackstorm, rbac_auth: { standalone: { x: 1 } } } })
    expect(problemAt(extra, "stackstorm.rbac_auth.standalone")).toMatchObject({
      message: "takes no settings, got `x`",
      hint: "write {}",
    })
  })

  it("secrets_store: unknown names, two stores, vault without url or token", () => {
    expect(
      problemAt(
        decodeErr({ stackstorm: { ...minimal.stackstorm, secrets_store: "vualt" } }),
        "stackstorm.secrets_store",
      ).hint,
    ).toBe("did you mean `vault`?")
    const e = decodeErr({ stackstorm: { ...minimal.stackstorm, secrets_store: { vault: {}, keyring: {} } } })
    expect(problemAt(e, "stackstorm.secrets_store").message).toMatch(/exactly one/)
    const v = decodeErr({ stackstorm: { ...minimal.stackstorm, secrets_store: "vault" } })
    expect(problemAt(v, "stackstorm.secrets_store.vault.url").hint).toMatch(/VAULT_ADDR/)
    expect(problemAt(v, "stackstorm.secrets_store.vault.token").hint).toMatch(/VAULT_TOKEN/)
  })

  it("a user needs both name and password", () => {
    expect(
      problemAt(
        decodeErr({ stackstorm: { api_auth: { user: { name: "bot" } } } }),
        "stackstorm.api_auth.user.password",
      ).message,
    ).toBe("is missing: the user `bot` needs a password")
    expect(
      problemAt(
        decodeErr({ stackstorm: { api_auth: { user: { password: "p" } } } }),
        "stackstorm.api_auth.user.name",
      ),
    ).toBeDefined()
  })

  it("adapters: unknown types list the known ones; duplicates; not a list", () => {
    const e = decodeErr({
      ...minimal,
      adapters: [{ type: "irc" }, { type: "txt" }, {}, { type: "text" }, { type: "text" }],
    })
    expect(problemAt(e, "adapters[0].type")).toMatchObject({
      message: "unknown adapter type `irc`",
      hint: "known types: `text`, `slack`, `discord`",
    })
    expect(problemAt(e, "adapters[1].type").hint).toBe(
      "did you mean `text`? (known types: text, slack, discord)",
    )
    expect(problemAt(e, "adapters[2].type").message).toBe("is required")
    expect(problemAt(e, "adapters[4].name").message).toBe("`text` is already the name of adapters[3]")
    expect(problemAt(decodeErr({ ...minimal, adapters: { type: "text" } }), "adapters").message).toMatch(
      /must be a list/,
    )
    expect(problemAt(decodeErr({ ...minimal, adapters: [] }), "adapters").message).toBe("is empty")
  })

  it("adapters: Slack and Discord need their tokens, by mode; secrets may come from files", () => {
    const e = decodeErr({
      ...minimal,
      adapters: [
        { type: "slack", name: "s1" },
        { type: "slack", name: "s2", mode: "http", bot_token: "xoxb-1" },
        { type: "discord" },
        { type: "slack", name: "s3", mode: "carrier-pigeon", bot_token: "xoxb-1", app_token: "xapp-1" },
      ],
    })
    expect(problemAt(e, "adapters[0].bot_token").message).toMatch(/is required for Slack/)
    expect(problemAt(e, "adapters[0].app_token").message).toMatch(/is required in Socket Mode/)
    expect(problemAt(e, "adapters[1].signing_secret").message).toMatch(/is required with mode: http/)
    expect(problemAt(e, "adapters[2].token").message).toMatch(/is required for Discord/)
    expect(problemAt(e, "adapters[3].mode").message).toMatch(/must be one of/)
    expect(JSON.stringify(e)).not.toContain("xoxb-1")
  })

  it("web: a secret is required when enabled, and must be long enough", () => {
    expect(problemAt(decodeErr({ ...minimal, web: { enabled: true } }), "web.webhook_secret").message).toBe(
      "is required when web.enabled is true",
    )
    expect(
      problemAt(decodeErr({ ...minimal, web: { webhook_secret: "short" } }), "web.webhook_secret").message,
    ).toMatch(/shorter than 16/)
  })

  it("the root must be a mapping", () => {
    expect(problemAt(decodeErr(["a"]), "").message).toMatch(/must be a mapping/)
  })

  it("lists several problems at once, each with path and hint, in the CLI text", () => {
    const e = decodeErr({ stackstorm: { route_ky: "x", api_url: "nope" }, log: { level: "loud" } })
    const paths = e.problems.map((p) => p.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        "stackstorm.route_ky",
        "stackstorm.api_url",
        "log.level",
        "stackstorm.api_auth",
      ]),
    )
    const text = formatConfigError(e)
    expect(text).toContain("has 4 problems")
    expect(text).toContain(
      "  - stackstorm.route_ky: unknown key `route_ky`\n      hint: did you mean `route_key`?",
    )
    expect(e.message).toContain("stackstorm.api_url")
  })

  it("retired err-stackstorm keys say what replaced them", () => {
    expect(
      problemAt(
        decodeErr({ stackstorm: { ...minimal.stackstorm, oob_auth_url: "https://x" } }),
        "stackstorm.oob_auth_url",
      ).hint,
    ).toMatch(/rbac_auth/)
  })
})
