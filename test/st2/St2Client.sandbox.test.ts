import { createServer } from "node:net"
import { Effect, Either, Redacted } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type SandboxHandle, startSandbox } from "../../src/sandbox/Sandbox.ts"
import { defaultAliases } from "../../src/sandbox/sandboxFiles.ts"
import type { ActionAlias } from "../../src/st2/ActionAlias.ts"
import { St2Client, St2ClientLive } from "../../src/st2/St2Client.ts"
import type { St2Credential } from "../../src/st2/St2Credential.ts"
import type { St2Endpoints } from "../../src/st2/St2Endpoints.ts"
import type { St2Error } from "../../src/st2/St2Error.ts"
import { st2Request } from "../../src/st2/St2Http.ts"
import { makeDispatcher } from "../../src/st2/St2Endpoints.ts"
import { Schema } from "effect"
import { json, startLocalServer } from "./localServer.ts"

const admin = { username: "st2admin", password: Redacted.make("Ch@ngeMe") }
const alice = { username: "alice", password: Redacted.make("alice:pw") }
const goodKey: St2Credential = { _tag: "ApiKey", key: Redacted.make("good-key-0123") }

const askAdminOnly: ActionAlias = {
  name: "ask_admin",
  pack: "sandbox",
  action_ref: "core.ask",
  formats: ["ask-admin {{question}}"],
  immutable_parameters: { users: ["st2admin"] },
}

let sb: SandboxHandle
beforeAll(async () => {
  sb = await startSandbox({
    port: 0,
    resultDelayMs: 20,
    aliases: [...defaultAliases(), askAdminOnly],
    users: [
      {
        name: "st2admin",
        password: "Ch@ngeMe",
        api_keys: ["good-key-0123", { key: "off-key", enabled: false }],
        is_service: true,
      },
      { name: "alice", password: "alice:pw", nicknames: { slack: "al" } },
    ],
  })
})
afterAll(async () => {
  await sb.stop()
})
beforeEach(() => sb.faults.reset())

const endpoints = (url: string, requestTimeoutMs = 5_000): St2Endpoints => ({
  authUrl: `${url}/auth/v1`,
  apiUrl: `${url}/api/v1`,
  streamUrl: `${url}/stream/v1`,
  verifyCert: true,
  requestTimeoutMs,
})

const run = <A, E>(
  program: Effect.Effect<A, E, St2Client>,
  options: { url?: string; timeoutMs?: number } = {},
) =>
  Effect.runPromise(
    Effect.either(program).pipe(
      Effect.provide(St2ClientLive(endpoints(options.url ?? sb.url, options.timeoutMs))),
    ),
  )
const ok = async <A, E>(program: Effect.Effect<A, E, St2Client>) => Either.getOrThrow(await run(program))
const fails = async <A>(
  program: Effect.Effect<A, St2Error, St2Client>,
  options?: { url?: string; timeoutMs?: number },
) => {
  const out = await run(program, options)
  if (Either.isRight(out)) throw new Error(`expected a failure, got ${JSON.stringify(out.right)}`)
  return out.left
}
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const tokenCredential = (t: { token: Redacted.Redacted<string> }): St2Credential => ({
  _tag: "Token",
  token: t.token,
})

describe("St2Client against the sandbox: every endpoint a bot uses", () => {
  it("tokens: create, validate, impersonate by user and by nickname", async () => {
    await ok(
      Effect.gen(function* () {
        const st2 = yield* St2Client
        const t = yield* st2.createToken(admin, { ttl: 600 })
        expect(t.user).toBe("st2admin")
        expect(Redacted.value(t.token)).toMatch(/^[0-9a-f]{32}$/)
        expect(t.expiry.getTime()).toBeGreaterThan(Date.now())
        const cred = tokenCredential(t)
        expect(yield* st2.validateToken(cred, t.token)).toBe(true)
        expect(yield* st2.validateToken(cred, Redacted.make("0".repeat(32)))).toBe(false)
        const asAlice = yield* st2.impersonate(admin, { user: "alice" })
        expect(asAlice.user).toBe("alice")
        const byNick = yield* st2.impersonate(admin, { nickname: "al", origin: "slack" }, { ttl: 60 })
        expect(byNick.user).toBe("alice")
        const me = yield* st2.currentUser(tokenCredential(byNick))
        expect(me.username).toBe("alice")
        expect(me.authentication.method).toBe("authentication token")
      }),
    )
  })

  it("aliases, help, match, both kinds of execution, and the execution record", async () => {
    await ok(
      Effect.gen(function* () {
        const st2 = yield* St2Client
        const { aliases, skipped } = yield* st2.listAliases(goodKey)
        expect(skipped).toEqual([])
        expect(aliases.map((a) => a.name)).toEqual(
          expect.arrayContaining(["remote_run", "echo", "reboot", "ask_admin"]),
        )
        const help = yield* st2.aliasHelp(goodKey, { filter: "echo" })
        expect(help.available).toBe(1)
        expect(help.helpstrings[0]!.display).toBe("echo <message>")
        const match = yield* st2.matchAlias(goodKey, "say hello")
        expect(match.actionalias.name).toBe("echo")
        expect(match.representation).toBe("say {{message}}")
        const run = yield* st2.executeAlias(goodKey, {
          name: "remote_run",
          format: "run {{cmd}} on {{hosts=localhost}}",
          command: "run date on web1",
          user: "alice",
          source_channel: "#ops",
          source_context: { thread_ts: "1.2" },
          notification_route: "errbot",
        })
        expect(run.execution.status).toBe("requested")
        expect(run.message).toContain("Running `date` on web1")
        const record = yield* st2.getExecution(goodKey, run.execution.id)
        expect(record.context?.api_user).toBe("alice")
        expect(record.context?.source_channel).toBe("#ops")
        const multi = yield* st2.matchAndExecute(goodKey, {
          command: "look at OPS-1 and OPS-2",
          user: "alice",
          source_channel: "#ops",
        })
        expect(multi.results).toHaveLength(2)
      }),
    )
  })

  it("inquiries: list, get, respond", async () => {
    await ok(
      Effect.gen(function* () {
        const st2 = yield* St2Client
        const run = yield* st2.executeAlias(goodKey, {
          name: "ask",
          format: "ask {{question}}",
          command: "ask continue?",
          source_channel: "#ops",
        })
        const id = run.execution.id
        yield* Effect.iterate(0, {
          while: (n) => n < 200,
          body: (n) =>
            st2.listInquiries(goodKey).pipe(
              Effect.map((list) => (list.some((i) => i.id === id) ? 200 : n + 1)),
              Effect.zipLeft(Effect.sleep("10 millis")),
            ),
        })
        const inquiry = yield* st2.getInquiry(goodKey, id)
        expect(inquiry.schema).toHaveProperty("properties")
        const answer = yield* st2.respondInquiry(goodKey, id, { continue: true })
        expect(answer).toEqual({ id, response: { continue: true } })
      }),
    )
  })

  it("lists every alias across pages (250 aliases, page size 100)", async () => {
    const many: ActionAlias[] = Array.from({ length: 250 }, (_, i) => ({
      name: `cmd${String(i).padStart(3, "0")}`,
      pack: "bulk",
      action_ref: "core.noop",
      formats: [`cmd${i}`],
    }))
    const big = await startSandbox({ port: 0, aliases: many })
    try {
      const list = Either.getOrThrow(
        await run(
          Effect.flatMap(St2Client, (st2) =>
            st2.listAliases({ _tag: "ApiKey", key: Redacted.make(big.apiKey) }),
          ),
          { url: big.url },
        ),
      )
      expect(list.aliases).toHaveLength(250)
      expect(new Set(list.aliases.map((a) => a.name)).size).toBe(250)
    } finally {
      await big.stop()
    }
  })
})

describe("St2Client against the sandbox: every error class", () => {
  const reasonOf = async (credential: St2Credential) => {
    const e = await fails(Effect.flatMap(St2Client, (st2) => st2.currentUser(credential)))
    expect(e._tag).toBe("St2Unauthorized")
    expect(e.requestId).toMatch(uuid)
    return e._tag === "St2Unauthorized" ? e.reason : undefined
  }

  it("St2Unauthorized: unknown token, unknown key, disabled key, bad password, expired token", async () => {
    expect(await reasonOf({ _tag: "Token", token: Redacted.make("f".repeat(32)) })).toBe("unknownToken")
    expect(await reasonOf({ _tag: "ApiKey", key: Redacted.make("nope") })).toBe("unknownKey")
    expect(await reasonOf({ _tag: "ApiKey", key: Redacted.make("off-key") })).toBe("disabledKey")
    const bad = await fails(
      Effect.flatMap(St2Client, (st2) =>
        st2.createToken({ username: "st2admin", password: Redacted.make("wrong") }),
      ),
    )
    expect(bad).toMatchObject({ _tag: "St2Unauthorized", reason: "badCredentials", path: "/auth/v1/tokens" })
    const t = await ok(Effect.flatMap(St2Client, (st2) => st2.createToken(admin)))
    sb.faults.expireAllTokens()
    expect(await reasonOf(tokenCredential(t))).toBe("expired")
  })

  it("St2Unauthorized: no credential at all (reason missing)", async () => {
    const dispatcher = makeDispatcher({ verifyCert: true })
    try {
      const out = await Effect.runPromise(
        Effect.either(
          st2Request(
            dispatcher,
            5_000,
            { method: "GET", base: `${sb.url}/api/v1`, path: "/user" },
            Schema.Unknown,
          ),
        ),
      )
      expect(Either.isLeft(out) && out.left).toMatchObject({ _tag: "St2Unauthorized", reason: "missing" })
    } finally {
      await dispatcher.close()
    }
  })

  it("St2Forbidden: answering an inquiry meant for someone else", async () => {
    const e = await fails(
      Effect.gen(function* () {
        const st2 = yield* St2Client
        const run = yield* st2.executeAlias(goodKey, {
          name: "ask_admin",
          format: "ask-admin {{question}}",
          command: "ask-admin deploy?",
          source_channel: "#ops",
        })
        const asAlice = yield* st2.createToken(alice)
        yield* Effect.sleep("50 millis")
        return yield* st2.respondInquiry(tokenCredential(asAlice), run.execution.id, { continue: true })
      }),
    )
    expect(e).toMatchObject({ _tag: "St2Forbidden", status: 403 })
    expect(e._tag === "St2Forbidden" && e.faultstring).toContain("inquiry_respond")
  })

  it("St2NotFound: an unknown execution", async () => {
    const e = await fails(
      Effect.flatMap(St2Client, (st2) => st2.getExecution(goodKey, "000000000000000000000000")),
    )
    expect(e).toMatchObject({
      _tag: "St2NotFound",
      status: 404,
      path: "/api/v1/executions/000000000000000000000000",
    })
    expect(e.requestId).toMatch(uuid)
  })

  it("St2BadRequest: st2's faultstring for a command that matches nothing, and for a ttl too long", async () => {
    const e = await fails(Effect.flatMap(St2Client, (st2) => st2.matchAlias(goodKey, "make me a sandwich")))
    expect(e).toMatchObject({
      _tag: "St2BadRequest",
      status: 400,
      faultstring: "Command 'make me a sandwich' matched no patterns",
    })
    const ttl = await fails(Effect.flatMap(St2Client, (st2) => st2.createToken(admin, { ttl: 10_000_000 })))
    expect(ttl).toMatchObject({
      _tag: "St2BadRequest",
      faultstring: "TTL specified 10000000 is greater than max allowed 86400.",
    })
  })

  it("St2Conflict: a 409 with its conflict id (the sandbox has no 409 for a bot's calls: a local server)", async () => {
    const s = await startLocalServer((_req, res) =>
      json(
        res,
        409,
        { faultstring: "Tried to save duplicate unique keys", "conflict-id": "abc" },
        { "X-Request-ID": "r409" },
      ),
    )
    try {
      const e = await fails(
        Effect.flatMap(St2Client, (st2) => st2.respondInquiry(goodKey, "i", {})),
        { url: s.url },
      )
      expect(e).toMatchObject({ _tag: "St2Conflict", conflictId: "abc", requestId: "r409" })
    } finally {
      await s.close()
    }
  })

  it("St2ServerError: nginx's 503 while st2api is down; transient", async () => {
    sb.faults.setApiMode("unavailable")
    const e = await fails(Effect.flatMap(St2Client, (st2) => st2.listAliases(goodKey)))
    expect(e).toMatchObject({ _tag: "St2ServerError", status: 503 })
    expect(e._tag === "St2ServerError" && e.faultstring).toContain("Nginx is unable to reach st2api")
  })

  it("St2Timeout: a slow API and a short request timeout", async () => {
    sb.faults.setApiMode({ delayMs: 1_000 })
    const e = await fails(
      Effect.flatMap(St2Client, (st2) => st2.currentUser(goodKey)),
      { timeoutMs: 100 },
    )
    expect(e).toMatchObject({ _tag: "St2Timeout", timeoutMs: 100, path: "/api/v1/user" })
    expect(e.requestId).toMatch(uuid)
  })

  it("St2Unavailable: the sandbox stopped (connection refused), then back on the same port", async () => {
    await sb.stop()
    try {
      const e = await fails(Effect.flatMap(St2Client, (st2) => st2.currentUser(goodKey)))
      expect(e._tag).toBe("St2Unavailable")
      expect(e._tag === "St2Unavailable" && e.cause).toContain("ECONNREFUSED")
    } finally {
      await sb.start()
    }
    expect((await ok(Effect.flatMap(St2Client, (st2) => st2.currentUser(goodKey)))).username).toBe("st2admin")
  })

  it("St2Unavailable: a port nobody listens on", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const e = await fails(
      Effect.flatMap(St2Client, (st2) => st2.currentUser(goodKey)),
      {
        url: `http://127.0.0.1:${port}`,
      },
    )
    expect(e).toMatchObject({ _tag: "St2Unavailable", method: "GET", path: "/api/v1/user" })
  })
})
