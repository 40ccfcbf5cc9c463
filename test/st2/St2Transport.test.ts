import type { ServerResponse } from "node:http"
import { Effect, Either, Exit, Fiber, Redacted, Schema } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { makeSt2Client, St2Client, St2ClientLive } from "../../src/st2/St2Client.ts"
import type { St2Credential } from "../../src/st2/St2Credential.ts"
import { makeDispatcher, type St2Endpoints } from "../../src/st2/St2Endpoints.ts"
import type { St2Error } from "../../src/st2/St2Error.ts"
import { st2Request } from "../../src/st2/St2Http.ts"
import { DEFAULT_MAX_SOCKETS, type St2Transport } from "../../src/st2/St2Transport.ts"
import { json, startLocalServer } from "./localServer.ts"
import { eventually } from "./streamServer.ts"

const key: St2Credential = { _tag: "ApiKey", key: Redacted.make("the-api-key") }
const user = { username: "bot", authentication: { method: "api key" } }

const endpointsFor = (url: string): St2Endpoints => ({
  authUrl: `${url}/auth/v1`,
  apiUrl: `${url}/api/v1`,
  streamUrl: `${url}/stream/v1`,
  verifyCert: true,
  requestTimeoutMs: 10_000,
})

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

const server = async (handler: Parameters<typeof startLocalServer>[0]) => {
  const s = await startLocalServer(handler)
  closers.push(s.close)
  return s
}

const transport = (options: { maxSockets?: number; bodyTimeoutMs?: number } = {}): St2Transport => {
  const t = makeDispatcher({ verifyCert: true }, options)
  closers.push(() => t.destroy())
  return t
}

/**
 * A server that holds every answer until `pool` requests wait at once (or until the last ones of
 * `total` arrived), then answers them all: with a bounded pool it never sees more than `pool`.
 */
const holdingServer = async (pool: number, total: number) => {
  let held: Array<ServerResponse> = []
  let answered = 0
  let peak = 0
  const s = await server((_req, res) => {
    held.push(res)
    peak = Math.max(peak, held.length)
    if (held.length >= pool || answered + held.length === total) {
      for (const r of held) json(r, 200, user)
      answered += held.length
      held = []
    }
  })
  return { ...s, peak: () => peak }
}

/** A server whose answers wait until the test releases them. */
const heldServer = async () => {
  const held: Array<ServerResponse> = []
  const s = await server((_req, res) => {
    held.push(res)
  })
  const releaseAll = () => {
    for (const r of held.splice(0)) json(r, 200, user)
  }
  return { ...s, held, releaseAll }
}

const get = (t: St2Transport, url: string, timeoutMs = 10_000) =>
  st2Request(t, timeoutMs, { method: "GET", base: `${url}/api/v1`, path: "/user" }, Schema.Unknown)

const failureOf = <A>(e: Either.Either<A, St2Error>): St2Error => {
  if (Either.isRight(e)) throw new Error("expected a failure")
  return e.left
}

describe("St2Transport: keep-alive and a bounded pool", () => {
  it("100 concurrent requests through St2ClientLive use at most 32 connections, all answered", async () => {
    const total = 100
    const s = await holdingServer(DEFAULT_MAX_SOCKETS, total)
    const users = await Effect.runPromise(
      Effect.flatMap(St2Client, (c) =>
        Effect.all(
          Array.from({ length: total }, () => c.currentUser(key)),
          { concurrency: "unbounded" },
        ),
      ).pipe(Effect.provide(St2ClientLive(endpointsFor(s.url)))),
    )
    expect(users).toHaveLength(total)
    expect(s.requests).toHaveLength(total)
    expect(DEFAULT_MAX_SOCKETS).toBe(32)
    expect(s.peak()).toBe(DEFAULT_MAX_SOCKETS)
    expect(s.connections().accepted).toBeLessThanOrEqual(DEFAULT_MAX_SOCKETS)
  })

  it("a smaller pool is honoured: 40 requests with maxSockets 4 use at most 4 connections", async () => {
    const s = await holdingServer(4, 40)
    const t = transport({ maxSockets: 4 })
    const client = makeSt2Client(endpointsFor(s.url), t)
    const out = await Effect.runPromise(
      Effect.all(
        Array.from({ length: 40 }, () => client.currentUser(key)),
        { concurrency: "unbounded" },
      ),
    )
    expect(out).toHaveLength(40)
    expect(s.peak()).toBe(4)
    expect(s.connections().accepted).toBeLessThanOrEqual(4)
  })

  it("requests one after another reuse one connection (keep-alive)", async () => {
    const s = await server((_req, res) => json(res, 200, user))
    const client = makeSt2Client(endpointsFor(s.url), transport())
    for (let i = 0; i < 10; i++) await Effect.runPromise(client.currentUser(key))
    expect(s.requests).toHaveLength(10)
    expect(s.connections().accepted).toBe(1)
  })

  it("a request that times out while waiting for a connection is never sent and frees its turn", async () => {
    const s = await heldServer()
    const t = transport({ maxSockets: 1 })
    const first = Effect.runFork(Effect.either(get(t, s.url)))
    await eventually("the first request reached the server", () => s.held.length === 1)
    const queued = await Effect.runPromise(Effect.either(get(t, s.url, 100)))
    expect(failureOf(queued)).toMatchObject({ _tag: "St2Timeout", timeoutMs: 100 })
    s.releaseAll()
    expect(Either.isRight(await Effect.runPromise(Fiber.join(first)))).toBe(true)
    const third = Effect.runFork(Effect.either(get(t, s.url)))
    await eventually("the third request reached the server", () => s.held.length === 1)
    s.releaseAll()
    expect(Either.isRight(await Effect.runPromise(Fiber.join(third)))).toBe(true)
    expect(s.requests).toHaveLength(2)
    expect(s.connections().accepted).toBe(1)
  })

  it("interrupting a request destroys its socket", async () => {
    const s = await heldServer()
    const t = transport()
    const fiber = Effect.runFork(get(t, s.url))
    await eventually("the request reached the server", () => s.held.length === 1)
    const exit = await Effect.runPromise(Fiber.interrupt(fiber))
    expect(Exit.isInterrupted(exit)).toBe(true)
    await eventually("the server saw the connection closed", () => s.connections().open === 0)
  })

  it("close() lets running and queued requests finish, refuses new ones, then closes idle connections", async () => {
    const s = await heldServer()
    const t = transport({ maxSockets: 1 })
    const running = Effect.runFork(Effect.either(get(t, s.url)))
    const queued = Effect.runFork(Effect.either(get(t, s.url)))
    await eventually("the first request reached the server", () => s.held.length === 1)
    let closed = false
    const closing = t.close().then(() => {
      closed = true
    })
    const refused = failureOf(await Effect.runPromise(Effect.either(get(t, s.url))))
    expect(refused._tag === "St2Unavailable" && refused.cause).toContain("ST2_CLIENT_CLOSED")
    expect(closed).toBe(false)
    s.releaseAll()
    expect(Either.isRight(await Effect.runPromise(Fiber.join(running)))).toBe(true)
    await eventually("the queued request reached the server", () => s.held.length === 1)
    s.releaseAll()
    expect(Either.isRight(await Effect.runPromise(Fiber.join(queued)))).toBe(true)
    await closing
    await eventually("the idle connection is closed", () => s.connections().open === 0)
    expect(s.requests).toHaveLength(2)
  })

  it("destroy() fails running and queued requests with St2Unavailable and opens no connection after", async () => {
    const s = await heldServer()
    const t = transport({ maxSockets: 1 })
    const running = Effect.runFork(Effect.either(get(t, s.url)))
    const queued = Effect.runFork(Effect.either(get(t, s.url)))
    await eventually("the first request reached the server", () => s.held.length === 1)
    await t.destroy()
    for (const fiber of [running, queued]) {
      const e = failureOf(await Effect.runPromise(Fiber.join(fiber)))
      expect(e._tag === "St2Unavailable" && e.cause).toContain("ST2_CLIENT_CLOSED")
    }
    const after = failureOf(await Effect.runPromise(Effect.either(get(t, s.url))))
    expect(after._tag).toBe("St2Unavailable")
    await eventually("the server saw the connection closed", () => s.connections().open === 0)
    expect(s.connections().accepted).toBe(1)
    expect(s.requests).toHaveLength(1)
  })

  it("bodyTimeoutMs > 0 fails a silent request with St2Unavailable (ETIMEDOUT)", async () => {
    const s = await heldServer()
    const t = transport({ bodyTimeoutMs: 100 })
    const e = failureOf(await Effect.runPromise(Effect.either(get(t, s.url))))
    expect(e._tag === "St2Unavailable" && e.cause).toContain("ETIMEDOUT")
  })
})

describe("St2Transport: calls (exchange, raw sockets) and the stream (send, node:http) close together", () => {
  const GET = { method: "GET", headers: {} }

  it("destroy() fails a running call and a running stream request with ST2_CLIENT_CLOSED", async () => {
    const s = await heldServer()
    const t = transport()
    const errors: Array<string> = []
    const onError = (e: Error) => errors.push((e as Error & { code?: string }).code ?? e.message)
    t.exchange(new URL(`${s.url}/api/v1/user`), GET, { onAnswer: () => errors.push("answer"), onError })
    t.send(new URL(`${s.url}/stream/v1/stream`), GET, { onResponse: () => errors.push("response"), onError })
    await eventually("both requests reached the server", () => s.held.length === 2)
    await t.destroy()
    await eventually("both failed", () => errors.length >= 2)
    expect(errors.sort()).toEqual(["ST2_CLIENT_CLOSED", "ST2_CLIENT_CLOSED"])
    await eventually("the server saw both connections closed", () => s.connections().open === 0)
  })

  it("close() waits for a running call and a running stream request, then closes both pools' connections", async () => {
    const s = await heldServer()
    const t = transport()
    const answers: Array<string> = []
    t.exchange(new URL(`${s.url}/api/v1/user`), GET, {
      onAnswer: (a) => answers.push(`exchange ${a.status}`),
      onError: (e) => answers.push(`exchange error ${e.message}`),
    })
    t.send(new URL(`${s.url}/stream/v1/stream`), GET, {
      onResponse: (res) => {
        res.resume()
        res.on("end", () => answers.push(`send ${res.statusCode}`))
      },
      onError: (e) => answers.push(`send error ${e.message}`),
    })
    await eventually("both requests reached the server", () => s.held.length === 2)
    let closed = false
    const closing = t.close().then(() => {
      closed = true
    })
    await new Promise((r) => setImmediate(r))
    expect(closed).toBe(false)
    s.releaseAll()
    await closing
    expect(answers.sort()).toEqual(["exchange 200", "send 200"])
    await eventually("the server saw both connections closed", () => s.connections().open === 0)
    expect(s.connections().accepted).toBe(2)
  })
})
