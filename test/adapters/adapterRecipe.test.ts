import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either, Redacted, Stream } from "effect"
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import type { OutboundMessage } from "../../src/adapters/ChatAdapter.ts"
import { makeAdapters } from "../../src/adapters/makeAdapters.ts"
import { configCheckCommand } from "../../src/cli/configCheckCommand.ts"
import { decodeConfig } from "../../src/config/decodeConfig.ts"
import { echoLoads } from "./echo/echoDefinition.ts"

/**
 * "Adding a backend touches its own folder and one registry line": the test backend `echo`
 * (test/adapters/echo/echoDefinition.ts) is added to the registry by the one line below and by
 * nothing else, and decoding, `config check`, the TLS start-up check and construction all pick
 * it up.
 */
vi.mock("../../src/adapters/adapterRegistry.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/adapters/adapterRegistry.ts")>()
  const { echoDefinition } = await import("./echo/echoDefinition.ts")
  return { ...real, ADAPTERS: [...real.ADAPTERS, echoDefinition] }
})

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBecho\n-----END CERTIFICATE-----\n"
const dir = realpathSync(mkdtempSync(join(tmpdir(), "stormbot-echo-")))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
writeFileSync(join(dir, "pw"), "ECHO-PASSWORD-1\n")
writeFileSync(join(dir, "ca.pem"), PEM)
const entry = {
  type: "echo",
  name: "e1",
  greeting: "hi",
  room: "lobby",
  password_file: "pw",
  tls: { ca_file: "ca.pem" },
}
const base = { stackstorm: { api_auth: { key: "k" } } }
const decode = (adapters: unknown, env: Record<string, string> = {}) =>
  decodeConfig({ ...base, adapters }, { baseDir: dir, env })

const OUTER = /^(ST2_|STORMBOT_|VAULT_|NODE_TLS_REJECT_UNAUTHORIZED$)/
beforeEach(() => {
  for (const k of Object.keys(process.env)) if (OUTER.test(k)) vi.stubEnv(k, undefined)
})
afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe("a backend added by its definition and one registry line", () => {
  it("decoding: its settings, its secret read from *_file, its default, its tls", () => {
    const r = decode([entry, { type: "echo", room: "r", password: "p2" }])
    if (Either.isLeft(r)) throw new Error(r.left.message)
    const [e1, e2] = r.right.config.adapters as ReadonlyArray<Record<string, unknown>>
    expect(e1).toMatchObject({
      type: "echo",
      name: "e1",
      greeting: "hi",
      room: "lobby",
      tls: { verify: true, ca: PEM },
    })
    expect(Redacted.value(e1!.password as Redacted.Redacted<string>)).toBe("ECHO-PASSWORD-1")
    expect(e2).toMatchObject({ type: "echo", name: "echo", greeting: "hello" })
    expect(r.right.sources.get("adapters[0].password")).toMatchObject({ readFrom: join(dir, "pw") })
    expect(r.right.sources.get("adapters[1].greeting")).toEqual({ _tag: "default" })
    expect(r.right.sources.get("adapters[1].room")).toMatchObject({ _tag: "file", key: "adapters[1].room" })
  })

  it("problems: did-you-mean for its type and keys, its required secret, both forms, a duplicate name: all at once", () => {
    const r = decode([
      { type: "ecko" },
      { type: "echo", greting: "x", room: "r", password: "p" },
      { type: "echo", name: "e", tls: { verfy: true }, room: "r", password: "p" },
      { type: "echo", name: "d", room: "r", password: "p" },
      { type: "echo", name: "d" },
      { type: "echo", name: "f", room: "r", password: "p", password_file: "pw" },
    ])
    if (Either.isRight(r)) throw new Error("expected problems")
    expect(r.left.problems).toEqual([
      {
        path: "adapters[0].type",
        message: "unknown adapter type `ecko`",
        hint: "did you mean `echo`? (known types: text, slack, discord, echo)",
      },
      { path: "adapters[1].greting", message: "unknown key `greting`", hint: "did you mean `greeting`?" },
      { path: "adapters[2].tls.verfy", message: "unknown key `verfy`", hint: "did you mean `verify`?" },
      {
        path: "adapters[4].name",
        message: "`d` is already the name of adapters[3]",
        hint: "give each adapter a unique name",
      },
      {
        path: "adapters[4].password",
        message: "is required for the echo server",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${VAR} syntax shown to the operator
        hint: "set password (or password_file, or ${VAR})",
      },
      {
        path: "adapters[4].room",
        message: "is required (the room the echo server joins)",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the ${VAR} syntax shown to the operator
        hint: "set room (or ${VAR})",
      },
      {
        path: "adapters[5].password",
        message: "`password` and `password_file` are all set",
        hint: "keep exactly one of them",
      },
    ])
  })

  it("config check: its lines with their sources, the secret redacted, its tls", async () => {
    const file = join(dir, "stormbot.yaml")
    writeFileSync(
      file,
      "stackstorm:\n  api_auth: { key: k }\nadapters:\n  - type: echo\n    name: e1\n    room: lobby\n    password_file: pw\n    tls: { ca_file: ca.pem }\n",
    )
    const out: string[] = []
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")))
    vi.spyOn(console, "error").mockImplementation(() => {})
    expect(await Effect.runPromise(configCheckCommand.run(["--config", file]))).toBe(0)
    const text = out.join("\n")
    // The comment column depends on the longest line (the temporary folder's path).
    expect(text.replace(/ +# /g, "  # ")).toContain(
      [
        "adapters:",
        "  - type: echo  # file",
        "    name: e1  # file",
        "    greeting: hello  # default",
        "    room: lobby  # file",
        `    password: <redacted>  # file (adapters[0].password_file, read from ${dir}/pw)`,
        "    tls:",
        "      verify: true  # default",
        `      ca_file: <PEM, ${PEM.length} bytes>  # file (read from ${dir}/ca.pem)`,
        "web:",
      ].join("\n"),
    )
    expect(text).not.toContain("ECHO-PASSWORD-1")
  })

  it("NODE_TLS_REJECT_UNAUTHORIZED=0: the refusal names its connections", () => {
    const r = decode([{ type: "echo", name: "e9", room: "r", password: "p" }], {
      NODE_TLS_REJECT_UNAUTHORIZED: "0",
    })
    if (Either.isRight(r)) throw new Error("expected the refusal")
    expect(r.left.problems[0]!.message).toContain(
      "it would turn off certificate checks on adapter `e9` (the echo server)",
    )
  })

  it("construction: makeAdapters builds it, loading its code only then", async () => {
    const r = decode([entry])
    if (Either.isLeft(r)) throw new Error(r.left.message)
    const before = echoLoads.count
    const sent: OutboundMessage[] = []
    const [adapter] = await makeAdapters(r.right.config.adapters, { echo: { sent } } as never)
    expect(echoLoads.count).toBe(before + 1)
    expect([adapter!.name, adapter!.kind]).toEqual(["e1", "echo"])
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* adapter!.connect
          const status = yield* Stream.runHead(adapter!.status)
          expect(status).toMatchObject({ value: { _tag: "Connected" } })
          yield* adapter!.send({ _tag: "Room", room: { id: "r", name: "r" } }, { text: "ping" })
        }),
      ),
    )
    expect(sent).toEqual([{ text: "hi: ping" }])
  })
})
