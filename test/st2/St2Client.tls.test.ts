import { createServer, type Server } from "node:https"
import type { AddressInfo } from "node:net"
import { Chunk, Effect, Either, Redacted, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { St2Client, St2ClientLive } from "../../src/st2/St2Client.ts"
import { makeDispatcher } from "../../src/st2/St2Endpoints.ts"
import { streamItems } from "../../src/st2/St2Stream.ts"
import { selfSigned } from "./selfSigned.ts"

let server: Server
let url: string
let cert: string
beforeAll(async () => {
  const pair = selfSigned()
  cert = pair.cert
  server = createServer(pair, (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" })
    res.end(JSON.stringify({ username: "bot", authentication: { method: "api key" } }))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

const whoami = (tls: { verifyCert: boolean; caCert?: string }) =>
  Effect.runPromise(
    Effect.either(
      Effect.flatMap(St2Client, (st2) => st2.currentUser({ _tag: "ApiKey", key: Redacted.make("k") })).pipe(
        Effect.provide(
          St2ClientLive({
            authUrl: `${url}/auth/v1`,
            apiUrl: `${url}/api/v1`,
            streamUrl: `${url}/stream/v1`,
            requestTimeoutMs: 5_000,
            ...tls,
          }),
        ),
      ),
    ),
  )

describe("TLS settings apply to the client's own dispatcher", () => {
  it("verify_cert: true refuses a certificate it cannot verify", async () => {
    const out = await whoami({ verifyCert: true })
    expect(Either.isLeft(out) && out.left._tag).toBe("St2Unavailable")
    expect(Either.isLeft(out) && out.left._tag === "St2Unavailable" && out.left.cause).toMatch(/self.signed/i)
  })

  it("ca_cert makes the same certificate trusted", async () => {
    const out = await whoami({ verifyCert: true, caCert: cert })
    expect(Either.getOrThrow(out).username).toBe("bot")
  })

  it("verify_cert: false accepts it, without touching the process's TLS settings", async () => {
    const out = await whoami({ verifyCert: false })
    expect(Either.getOrThrow(out).username).toBe("bot")
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined()
    // A client with verification on, created afterwards, still refuses.
    const strict = await whoami({ verifyCert: true })
    expect(Either.isLeft(strict)).toBe(true)
  })
})

describe("TLS client certificates, and the stream over TLS", () => {
  // st2 behind nginx with `ssl_verify_client on`: no client certificate, no answer.
  let mtls: Server
  let mtlsUrl: string
  let serverCert: string
  let client: { key: string; cert: string }
  beforeAll(async () => {
    const pair = selfSigned()
    serverCert = pair.cert
    client = selfSigned()
    mtls = createServer(
      { ...pair, requestCert: true, rejectUnauthorized: true, ca: client.cert },
      (req, res) => {
        if ((req.url ?? "").startsWith("/stream/v1/stream")) {
          res.writeHead(200, { "Content-Type": "text/event-stream; charset=UTF-8" })
          res.end(`\nevent: st2.announcement__errbot\ndata: {"payload":{"message":"over tls"}}\n\n`)
          return
        }
        res.writeHead(200, { "Content-Type": "application/json" })
        res.end(JSON.stringify({ username: "bot", authentication: { method: "api key" } }))
      },
    )
    await new Promise<void>((resolve) => mtls.listen(0, "127.0.0.1", resolve))
    mtlsUrl = `https://127.0.0.1:${(mtls.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    mtls.closeAllConnections()
    await new Promise((r) => mtls.close(r))
  })

  const endpoints = (withClientCert: boolean) => ({
    authUrl: `${mtlsUrl}/auth/v1`,
    apiUrl: `${mtlsUrl}/api/v1`,
    streamUrl: `${mtlsUrl}/stream/v1`,
    requestTimeoutMs: 5_000,
    verifyCert: true,
    caCert: serverCert,
    ...(withClientCert ? { clientCert: client.cert, clientKey: Redacted.make(client.key) } : {}),
  })
  const whoamiAt = (withClientCert: boolean) =>
    Effect.runPromise(
      Effect.either(
        Effect.flatMap(St2Client, (st2) => st2.currentUser({ _tag: "ApiKey", key: Redacted.make("k") })).pipe(
          Effect.provide(St2ClientLive(endpoints(withClientCert))),
        ),
      ),
    )

  it("client_cert and client_key are presented; without them the server refuses", async () => {
    expect(Either.getOrThrow(await whoamiAt(true)).username).toBe("bot")
    const refused = await whoamiAt(false)
    expect(Either.isLeft(refused) && refused.left._tag).toBe("St2Unavailable")
  })

  it("the stream goes through the same TLS settings", async () => {
    const transport = makeDispatcher(endpoints(true), { bodyTimeoutMs: 0 })
    try {
      const items = await Effect.runPromise(
        streamItems({
          streamUrl: `${mtlsUrl}/stream/v1`,
          dispatcher: transport,
          credential: { _tag: "ApiKey", key: Redacted.make("k") },
          events: ["st2.announcement__errbot"],
        }).pipe(Stream.runCollect, Effect.map(Chunk.toArray)),
      )
      expect(items.filter((i) => i._tag === "Event")).toEqual([
        { _tag: "Event", event: "st2.announcement__errbot", data: { payload: { message: "over tls" } } },
      ])
    } finally {
      await transport.destroy()
    }
  })
})
