import { Effect, Either, Layer, Redacted } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { St2Client, St2ClientLive } from "../../src/st2/St2Client.ts"
import type { St2Credential } from "../../src/st2/St2Credential.ts"
import type { St2Endpoints } from "../../src/st2/St2Endpoints.ts"
import { describeSt2Error, type St2Error } from "../../src/st2/St2Error.ts"
import { json, type RecordedRequest, startLocalServer } from "./localServer.ts"

const endpointsFor = (url: string, requestTimeoutMs = 5_000): St2Endpoints => ({
  authUrl: `${url}/auth/v1`,
  apiUrl: `${url}/api/v1`,
  streamUrl: `${url}/stream/v1`,
  verifyCert: true,
  requestTimeoutMs,
})

const key: St2Credential = { _tag: "ApiKey", key: Redacted.make("the-api-key") }
const token: St2Credential = { _tag: "Token", token: Redacted.make("0123456789abcdef0123456789abcdef") }

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

const server = async (handler: Parameters<typeof startLocalServer>[0]) => {
  const s = await startLocalServer(handler)
  closers.push(s.close)
  return s
}

const run = <A>(url: string, program: Effect.Effect<A, St2Error, St2Client>, timeoutMs?: number) =>
  Effect.runPromise(Effect.either(program).pipe(Effect.provide(St2ClientLive(endpointsFor(url, timeoutMs)))))

/** The failure of a run, or a test failure when it succeeded. */
const failure = <A>(e: Either.Either<A, St2Error>): St2Error => {
  if (Either.isRight(e)) throw new Error(`expected a failure, got ${JSON.stringify(e.right)}`)
  return e.left
}

const alias = (i: number) => ({
  id: `id${i}`,
  name: `a${String(i).padStart(3, "0")}`,
  pack: "p",
  action_ref: "core.noop",
  formats: [`do ${i}`],
})

describe("St2Client requests (local server)", () => {
  it("sends credentials only in headers, a request id, and st2's exact bodies", async () => {
    const s = await server((req, res) => {
      if (req.url.startsWith("/api/v1/aliasexecution"))
        json(res, 201, { execution: { id: "e1", status: "requested" } })
      else json(res, 200, { username: "bot", authentication: { method: "api key" } })
    })
    await run(
      s.url,
      Effect.gen(function* () {
        const c = yield* St2Client
        yield* c.currentUser(key)
        yield* c.currentUser(token)
        yield* c.executeAlias(token, {
          name: "run",
          format: "run {{cmd}}",
          command: "run date",
          user: "alice",
          source_channel: "#ops",
          source_context: { thread: "t1" },
          notification_route: "errbot",
        })
      }),
    )
    const [a, b, c] = s.requests as [RecordedRequest, RecordedRequest, RecordedRequest]
    expect(a.headers["st2-api-key"]).toBe("the-api-key")
    expect(a.headers["x-auth-token"]).toBeUndefined()
    expect(b.headers["x-auth-token"]).toBe("0123456789abcdef0123456789abcdef")
    for (const r of s.requests) {
      expect(r.url).not.toMatch(/key|token/i)
      expect(r.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/)
    }
    expect(c.method).toBe("POST")
    expect(c.url).toBe("/api/v1/aliasexecution")
    expect(c.headers["content-type"]).toBe("application/json")
    expect(JSON.parse(c.body)).toEqual({
      name: "run",
      format: "run {{cmd}}",
      command: "run date",
      user: "alice",
      source_channel: "#ops",
      source_context: { thread: "t1" },
      notification_route: "errbot",
    })
  })

  it("creates tokens with Basic auth (a password may contain ':') and impersonates both ways", async () => {
    const s = await server((_req, res) =>
      json(res, 201, {
        user: "bot",
        token: "f".repeat(32),
        expiry: "2030-01-02T03:04:05.123456Z",
        id: "x",
        metadata: {},
      }),
    )
    const out = await run(
      s.url,
      Effect.gen(function* () {
        const c = yield* St2Client
        const basic = { username: "bot", password: Redacted.make("p:a:ss") }
        const t = yield* c.createToken(basic, { ttl: 60 })
        yield* c.createToken(basic)
        yield* c.impersonate(basic, { user: "alice" })
        yield* c.impersonate(basic, { nickname: "al", origin: "slack" }, { ttl: 30 })
        return t
      }),
    )
    const t = Either.getOrThrow(out)
    expect(Redacted.value(t.token)).toBe("f".repeat(32))
    expect(String(t.token)).not.toContain("ffff")
    expect(t.expiry.toISOString()).toBe("2030-01-02T03:04:05.123Z")
    const auth = s.requests[0]!.headers.authorization!
    expect(Buffer.from(auth.replace(/^Basic /, ""), "base64").toString()).toBe("bot:p:a:ss")
    expect(s.requests.map((r) => r.url)).toEqual(Array(4).fill("/auth/v1/tokens"))
    expect(s.requests.map((r) => JSON.parse(r.body))).toEqual([
      { ttl: 60 },
      {},
      { user: "alice" },
      { impersonate_user: "al", nickname_origin: "slack", ttl: 30 },
    ])
  })

  it("reads every alias page by page, keeps the good ones when one does not decode", async () => {
    const all = Array.from({ length: 250 }, (_, i) => alias(i))
    all[120] = { ...all[120]!, formats: 42 as unknown as string[] }
    const s = await server((req, res) => {
      const u = new URL(req.url, "http://x")
      const limit = Number(u.searchParams.get("limit"))
      const offset = Number(u.searchParams.get("offset"))
      json(res, 200, all.slice(offset, offset + limit), {
        "X-Total-Count": String(all.length),
        "X-Limit": String(limit),
      })
    })
    const out = Either.getOrThrow(
      await run(
        s.url,
        Effect.flatMap(St2Client, (c) => c.listAliases(key)),
      ),
    )
    expect(out.aliases).toHaveLength(249)
    expect(out.aliases.map((a) => a.name)).not.toContain("a120")
    expect(out.aliases.at(-1)!.name).toBe("a249")
    expect(out.skipped).toHaveLength(1)
    expect(out.skipped[0]!.ref).toBe("p.a120")
    expect(out.skipped[0]!.detail).toContain("formats")
    expect(s.requests.map((r) => r.url)).toEqual([
      "/api/v1/actionalias?limit=100&offset=0",
      "/api/v1/actionalias?limit=100&offset=100",
      "/api/v1/actionalias?limit=100&offset=200",
    ])
  })

  it("pages without X-Total-Count until a short page", async () => {
    const all = Array.from({ length: 200 }, (_, i) => alias(i))
    const s = await server((req, res) => {
      const u = new URL(req.url, "http://x")
      const offset = Number(u.searchParams.get("offset"))
      json(res, 200, all.slice(offset, offset + 100))
    })
    const out = Either.getOrThrow(
      await run(
        s.url,
        Effect.flatMap(St2Client, (c) => c.listAliases(key, { pack: "p" })),
      ),
    )
    expect(out.aliases).toHaveLength(200)
    expect(s.requests).toHaveLength(3)
    expect(s.requests[0]!.url).toBe("/api/v1/actionalias?limit=100&offset=0&pack=p")
  })

  it("St2UndecodableBody: not JSON, or JSON of the wrong shape, with the request id", async () => {
    const s = await server((req, res) => {
      if (req.url.startsWith("/api/v1/executions/")) {
        res.writeHead(200, { "Content-Type": "text/html", "X-Request-ID": "rid-1" })
        res.end("<html>oops</html>")
      } else json(res, 200, { username: 7 }, { "X-Request-ID": "rid-2" })
    })
    const a = await run(
      s.url,
      Effect.flatMap(St2Client, (c) => c.getExecution(key, "e/1")),
    )
    const b = await run(
      s.url,
      Effect.flatMap(St2Client, (c) => c.currentUser(key)),
    )
    const ea = failure(a)
    const eb = failure(b)
    expect(ea).toMatchObject({
      _tag: "St2UndecodableBody",
      status: 200,
      requestId: "rid-1",
      path: "/api/v1/executions/e%2F1",
    })
    expect(ea._tag === "St2UndecodableBody" && ea.detail).toContain("not JSON (text/html)")
    expect(eb).toMatchObject({ _tag: "St2UndecodableBody", requestId: "rid-2" })
    expect(eb._tag === "St2UndecodableBody" && eb.detail).toContain("username")
  })

  it("an undecodable token answer never quotes the token", async () => {
    const s = await server((_req, res) =>
      json(res, 201, { user: "bot", token: "secret-token-value", expiry: "not a date" }),
    )
    const out = await run(
      s.url,
      Effect.flatMap(St2Client, (c) => c.createToken({ username: "bot", password: Redacted.make("pw") })),
    )
    const e = failure(out)
    expect(e._tag).toBe("St2UndecodableBody")
    expect(JSON.stringify(e) + describeSt2Error(e)).not.toContain("secret-token-value")
    expect(describeSt2Error(e)).toContain("expiry")
  })

  it("an undecodable answer names the paths and what was expected, never the values", async () => {
    const s = await server((_req, res) =>
      json(res, 200, {
        username: ["value-from-st2"],
        authentication: { method: { nested: "value-from-st2" } },
      }),
    )
    const e = failure(
      await run(
        s.url,
        Effect.flatMap(St2Client, (c) => c.currentUser(key)),
      ),
    )
    expect(e._tag).toBe("St2UndecodableBody")
    const detail = e._tag === "St2UndecodableBody" ? e.detail : ""
    expect(detail).toContain("username: Expected string")
    expect(JSON.stringify(e) + describeSt2Error(e)).not.toContain("value-from-st2")
  })

  it("refuses redirects, so a credential header never follows one", async () => {
    const s = await server((req, res) => {
      if (req.url === "/elsewhere") return json(res, 200, { username: "x", authentication: { method: "m" } })
      res.writeHead(301, { Location: "/elsewhere" })
      res.end()
    })
    const out = await run(
      s.url,
      Effect.flatMap(St2Client, (c) => c.currentUser(token)),
    )
    const e = failure(out)
    expect(e._tag).toBe("St2Unavailable")
    expect(describeSt2Error(e)).toContain("redirect")
    expect(s.requests.map((r) => r.url)).toEqual(["/api/v1/user"])
  })

  it("St2Timeout when the server never answers; the socket is abandoned", async () => {
    const s = await server(() => {
      // never answer
    })
    const out = await run(
      s.url,
      Effect.flatMap(St2Client, (c) => c.getInquiry(key, "i1")),
      200,
    )
    const e = failure(out)
    expect(e).toMatchObject({
      _tag: "St2Timeout",
      timeoutMs: 200,
      method: "GET",
      path: "/api/v1/inquiries/i1",
    })
    expect(e.requestId).toBe(s.requests[0]!.headers["x-request-id"])
  })

  it("maps a non-JSON 502 from a proxy to St2ServerError with a short faultstring", async () => {
    const s = await server((_req, res) => {
      res.writeHead(502, { "Content-Type": "text/html" })
      res.end("<html><body><h1>502 Bad Gateway</h1></body></html>")
    })
    const out = await run(
      s.url,
      Effect.flatMap(St2Client, (c) => c.listInquiries(key)),
    )
    const e = failure(out)
    expect(e).toMatchObject({ _tag: "St2ServerError", status: 502, faultstring: "502 Bad Gateway" })
  })

  it("closes its dispatcher when the layer is released", async () => {
    const s = await server((_req, res) =>
      json(res, 200, { username: "bot", authentication: { method: "m" } }),
    )
    const captured = await Effect.runPromise(
      Effect.scoped(
        Layer.build(St2ClientLive(endpointsFor(s.url))).pipe(
          Effect.map((ctx) => ctx.unsafeMap.get(St2Client.key) as St2Client["Type"]),
        ),
      ),
    )
    const after = await Effect.runPromise(Effect.either(captured.currentUser(key)))
    expect(failure(after)._tag).toBe("St2Unavailable")
  })
})
