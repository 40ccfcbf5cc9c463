import { Effect, Either, Redacted, Stream } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import type { St2Credential } from "../../src/st2/St2Credential.ts"
import { makeDispatcher } from "../../src/st2/St2Endpoints.ts"
import {
  ERROR_BODY_MAX_BYTES,
  type StreamItem,
  type StreamRequest,
  streamItems,
} from "../../src/st2/St2Stream.ts"
import { type HostileAnswer, type HostileServer, startHostileServer } from "./hostileServer.ts"
import { eventually } from "./streamServer.ts"

/** The event bound under test: small, so the bound on what was read is plain against the server's 64 MiB. */
const LIMIT = 64 * 1024
/** Most the server may have written when the client gives up: the bound plus both sides' socket buffers. */
const WRITTEN_BOUND = 16 * 1024 * 1024

const key: St2Credential = { _tag: "ApiKey", key: Redacted.make("hostile-test-key") }
const events = ["st2.announcement__errbot"]

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

const hostile = async (answer: HostileAnswer): Promise<HostileServer> => {
  const server = await startHostileServer(answer)
  closers.push(server.close)
  return server
}

const dispatcher = () => {
  const d = makeDispatcher({ verifyCert: true }, { bodyTimeoutMs: 0 })
  closers.push(() => d.destroy())
  return d
}

/** Reads the stream to its end or failure; the items read, and the failure. */
const read = async (url: string, options: Partial<StreamRequest> = {}) => {
  const items: Array<StreamItem> = []
  const result = await Effect.runPromise(
    streamItems({
      streamUrl: `${url}/stream/v1`,
      dispatcher: dispatcher(),
      credential: key,
      events,
      maxEventBytes: LIMIT,
      ...options,
    }).pipe(
      Stream.runForEach((i) => Effect.sync(() => items.push(i))),
      Effect.either,
    ),
  )
  if (Either.isRight(result)) throw new Error("expected the stream to fail")
  return { items, error: result.left }
}

const bounded = async (server: HostileServer) => {
  await eventually("the client closed the connection", () => server.connections[0]?.closed === true)
  expect(server.connections[0]?.exhausted).toBe(false)
  expect(server.connections[0]?.written).toBeLessThan(WRITTEN_BOUND)
}

const sse = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=UTF-8\r\nConnection: close\r\n\r\n"

describe("the stream against a hostile server", () => {
  it("an endless 503 body: St2ServerError from the first 8 KiB, the rest never read", async () => {
    const server = await hostile({
      head: "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n",
      body: { prefix: "<h1>Service Unavailable</h1>", repeat: "<p>x</p>".repeat(1024) },
    })
    const { error } = await read(server.url)
    expect(error).toMatchObject({ _tag: "St2ServerError", status: 503, path: "/stream/v1/stream" })
    await bounded(server)
    expect(error._tag === "St2ServerError" && error.faultstring).toMatch(/^Service Unavailable x x/)
    expect(ERROR_BODY_MAX_BYTES).toBe(8 * 1024)
  })

  it("a 503 whose body stalls: St2ServerError once the error body's time is up", async () => {
    const server = await hostile({
      head: "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
      body: undefined,
    })
    const { error } = await read(server.url, { errorBodyTimeoutMs: 100 })
    expect(error).toMatchObject({
      _tag: "St2ServerError",
      status: 503,
      faultstring: "HTTP 503 with an empty body",
    })
    await eventually("the client closed the connection", () => server.connections[0]?.closed === true)
  })

  it("a server that never sends headers: St2Timeout (headers), and the request is destroyed", async () => {
    const server = await hostile({ head: undefined })
    const { error } = await read(server.url, { headersTimeoutMs: 150 })
    expect(error).toMatchObject({ _tag: "St2Timeout", phase: "headers", timeoutMs: 150 })
    expect(server.written()).toBe(0)
    await eventually("the client closed the connection", () => server.connections[0]?.closed === true)
  })

  it("a TLS handshake that never completes: St2Timeout (connect)", async () => {
    // A TCP server that accepts and never speaks TLS: the request is never sent.
    const server = await hostile({ head: undefined })
    const { error } = await read(server.url.replace("http:", "https:"), {
      connectTimeoutMs: 150,
      headersTimeoutMs: 60_000,
    })
    expect(error).toMatchObject({ _tag: "St2Timeout", phase: "connect", timeoutMs: 150 })
    await eventually("the client closed the connection", () => server.connections[0]?.closed === true)
  })

  it("an endless line: St2ResponseTooLarge (event) past the bound, the connection closed", async () => {
    const server = await hostile({
      head: sse,
      body: { prefix: "\nevent: st2.announcement__errbot\ndata: ", repeat: "x".repeat(16 * 1024) },
    })
    const { items, error } = await read(server.url)
    expect(error).toMatchObject({
      _tag: "St2ResponseTooLarge",
      part: "event",
      limitBytes: LIMIT,
      status: 200,
      path: "/stream/v1/stream",
    })
    expect(JSON.stringify(error)).not.toContain("xxxx")
    // The heartbeat came through as liveness; no event was made of the endless line.
    expect(items.some((i) => i._tag === "Bytes")).toBe(true)
    expect(items.filter((i) => i._tag !== "Bytes")).toEqual([])
    await bounded(server)
  })

  it("an endless event (data lines, never a blank one): the same", async () => {
    const server = await hostile({
      head: sse,
      body: { prefix: "event: st2.announcement__errbot\n", repeat: `data: ${"y".repeat(1000)}\n` },
    })
    const { error } = await read(server.url)
    expect(error).toMatchObject({ _tag: "St2ResponseTooLarge", part: "event", limitBytes: LIMIT })
    await bounded(server)
  })

  it("events under the bound go on as usual however many come", async () => {
    const event = `event: st2.announcement__errbot\ndata: {"n":"${"z".repeat(LIMIT / 2)}"}\n\n`
    const server = await startHostileServer({ head: sse, body: { repeat: event } }, { maxBytes: 4 * LIMIT })
    closers.push(server.close)
    const items: Array<StreamItem> = []
    const result = await Effect.runPromise(
      streamItems({
        streamUrl: `${server.url}/stream/v1`,
        dispatcher: dispatcher(),
        credential: key,
        events,
        maxEventBytes: LIMIT,
      }).pipe(
        Stream.runForEach((i) => Effect.sync(() => items.push(i))),
        Effect.either,
      ),
    )
    // The server ends after 4 × LIMIT bytes: an ordinary end, with every whole event read.
    expect(Either.isRight(result)).toBe(true)
    expect(items.filter((i) => i._tag === "Event").length).toBeGreaterThanOrEqual(3)
  })
})
