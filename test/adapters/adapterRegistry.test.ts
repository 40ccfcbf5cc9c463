import { Either, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import type { AdapterDefinition } from "../../src/adapters/AdapterDefinition.ts"
import { ADAPTERS } from "../../src/adapters/adapterRegistry.ts"
import { makeAdapters } from "../../src/adapters/makeAdapters.ts"
import { decodeConfig } from "../../src/config/decodeConfig.ts"
import { renderEffectiveConfig } from "../../src/config/renderEffectiveConfig.ts"
import { memoryFiles } from "../config/helpers.ts"

/**
 * What the registry does for every backend, checked for each entry of `ADAPTERS` from its own
 * definition (its keys, its secrets, whether it takes `tls`): a new backend gets these tests by
 * its registry line and a row in MINIMAL.
 */
const MINIMAL: Readonly<Record<string, Record<string, unknown>>> = {
  text: {},
  slack: { bot_token: "xoxb-SECRET-1", app_token: "xapp-SECRET-2" },
  discord: { token: "DISCORD-SECRET-3" },
}
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBregistry\n-----END CERTIFICATE-----\n"
const files = memoryFiles({ "/cfg/secret": "FROM-FILE-SECRET\n", "/cfg/ca.pem": PEM })
const base = { stackstorm: { api_auth: { key: "k" } } }
const decode = (adapters: unknown[], env: Record<string, string> = {}) =>
  decodeConfig({ ...base, adapters }, { baseDir: "/cfg", readFile: files, env })
const ok = (adapters: unknown[]) => {
  const r = decode(adapters)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}
const problems = (adapters: unknown[]) => {
  const r = decode(adapters)
  if (Either.isRight(r)) throw new Error("expected problems")
  return r.left.problems
}
const registry: ReadonlyArray<AdapterDefinition> = ADAPTERS
const keysOf = (d: AdapterDefinition) => Object.keys(d.settings)
const secretsOf = (d: AdapterDefinition) => keysOf(d).filter((k) => keysOf(d).includes(`${k}_file`))

describe("the adapter registry", () => {
  it("lists each type once, and every type has a row in this test's MINIMAL", () => {
    const types = registry.map((d) => d.type)
    expect(new Set(types).size).toBe(types.length)
    expect(Object.keys(MINIMAL).sort()).toEqual([...types].sort())
  })

  describe.each(registry.map((d) => [d.type, d] as const))("%s", (type, d) => {
    const minimal = { type, ...MINIMAL[type] }

    it("decodes its minimal entry, named after its type unless named", () => {
      const { config } = ok([minimal, { ...minimal, name: `${type}-2` }])
      expect(config.adapters.map((a) => [a.type, a.name])).toEqual([
        [type, type],
        [type, `${type}-2`],
      ])
      expect(problems([minimal, minimal])).toContainEqual({
        path: "adapters[1].name",
        message: `\`${type}\` is already the name of adapters[0]`,
        hint: "give each adapter a unique name",
      })
    })

    it("answers a misspelt key with did-you-mean from its own keys", () => {
      const keys = ["name", ...keysOf(d), ...(d.tls ? ["tls"] : [])]
      const found = problems(keys.map((k) => ({ ...minimal, name: `n-${k}`, [`${k}x`]: "v" })))
      expect(found.map((p) => p.hint)).toEqual(keys.map((k) => `did you mean \`${k}\`?`))
    })

    it("takes each secret inline or from its *_file, never both, and never shows it", () => {
      for (const key of secretsOf(d)) {
        const fromFile = { ...minimal, [key]: undefined, [`${key}_file`]: "secret" }
        const loaded = ok([JSON.parse(JSON.stringify(fromFile))])
        expect(loaded.sources.get(`adapters[0].${key}`)).toMatchObject({ readFrom: "/cfg/secret" })
        const text = renderEffectiveConfig(loaded)
        expect(text).toMatch(new RegExp(`\\n {4}${key}: <redacted> +# file \\(adapters\\[0\\]\\.${key}_file`))
        expect(text).not.toContain("FROM-FILE-SECRET")
        expect(JSON.stringify(loaded.config)).not.toContain("FROM-FILE-SECRET")
        expect(problems([{ ...minimal, [key]: "a", [`${key}_file`]: "secret" }])).toContainEqual({
          path: `adapters[0].${key}`,
          message: `\`${key}\` and \`${key}_file\` are all set`,
          hint: "keep exactly one of them",
        })
      }
      const text = renderEffectiveConfig(ok([minimal]))
      for (const value of Object.values(MINIMAL[type]!)) expect(text).not.toContain(String(value))
    })

    it(
      d.tls
        ? "takes tls { ca_file, verify }, shows it, warns on verify: false"
        : "takes no tls (it opens no TLS connection)",
      () => {
        if (d.tls) {
          const loaded = ok([
            { ...minimal, tls: { ca_file: "ca.pem" } },
            { ...minimal, name: "x", tls: { verify: false } },
          ])
          expect(loaded.config.adapters[0]).toMatchObject({ tls: { verify: true, ca: PEM, explicit: true } })
          expect(renderEffectiveConfig(loaded)).toMatch(
            / {4}tls:\n {6}verify: true +# default\n {6}ca_file: <PEM, \d+ bytes>/,
          )
          const warning = loaded.warnings.find((w) => w.path === "adapters[1].tls.verify")
          expect(warning?.message).toMatch(/^is false: adapter `x` accepts any certificate on \S/)
          const refused = decode([minimal], { NODE_TLS_REJECT_UNAUTHORIZED: "0" })
          expect(Either.isLeft(refused) && refused.left.problems[0]!.message).toContain(
            `adapter \`${type}\` (`,
          )
        } else {
          expect(problems([{ ...minimal, tls: {} }])).toContainEqual(
            expect.objectContaining({ path: "adapters[0].tls", message: "unknown key `tls`" }),
          )
        }
      },
    )

    it("is built by makeAdapters under its configured name", async () => {
      const [adapter] = await makeAdapters(ok([{ ...minimal, name: `built-${type}` }]).config.adapters)
      expect([adapter!.kind, adapter!.name]).toEqual([type, `built-${type}`])
    })
  })

  it("reports every problem of every entry at once", () => {
    const entries = registry.flatMap((d) => [
      { type: d.type, name: "same", ...MINIMAL[d.type] },
      { type: d.type, unknown_key: 1 },
    ])
    const found = problems(entries)
    expect(found.filter((p) => p.message === "unknown key `unknown_key`")).toHaveLength(registry.length)
    expect(found.filter((p) => p.message.startsWith("`same` is already the name of"))).toHaveLength(
      registry.length - 1,
    )
  })

  it("makeAdapters refuses a type no backend has with a tagged error", async () => {
    const unknown = makeAdapters([{ type: "irc", name: "chat" } as never])
    await expect(unknown).rejects.toMatchObject({
      _tag: "AdapterTypeUnknown",
      message:
        "adapter `chat` has the type `irc`, which no registered backend has (known: text, slack, discord)",
    })
  })

  it("keeps Redacted secrets Redacted in the decoded configuration", () => {
    const { config } = ok(registry.map((d) => ({ type: d.type, ...MINIMAL[d.type] })))
    for (const a of config.adapters)
      for (const v of Object.values(a)) if (typeof v === "string") expect(v).not.toMatch(/SECRET/)
    const slack = config.adapters.find((a) => a.type === "slack")
    expect(slack && "botToken" in slack && Redacted.value(slack.botToken)).toBe("xoxb-SECRET-1")
  })
})
