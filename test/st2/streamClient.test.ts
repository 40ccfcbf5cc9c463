import { Chunk, Effect, Either, Fiber, Redacted, Schema, Stream } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import type { St2Credential } from "../../src/st2/St2Credential.ts"
import { makeDispatcher } from "../../src/st2/St2Endpoints.ts"
import { openStream, type StreamItem, streamItems } from "../../src/st2/St2Stream.ts"
import { Announcement } from "../../src/st2/streamAnnouncement.ts"
import { announcement, eventually, type StreamServer, startStreamServer } from "./streamServer.ts"

const dispatcher = makeDispatcher({ verifyCert: true }, { bodyTimeoutMs: 0 })
const key: St2Credential = { _tag: "ApiKey", key: Redacted.make("test-key") }
const events = ["st2.announcement__errbot"]

let server: StreamServer
beforeEach(async () => {
  server = await startStreamServer()
})
afterEach(async () => {
  await server.close()
})

const request = (credential: St2Credential = key) => ({
  streamUrl: server.streamUrl,
  dispatcher,
  credential,
  events,
})

/** Reads the stream until it ends, or fails; returns the items or the error. */
const readAll = (credential?: St2Credential) =>
  Effect.runPromise(
    streamItems(request(credential)).pipe(Stream.runCollect, Effect.map(Chunk.toArray), Effect.either),
  )

/** Opens the stream and collects items in the background until the test ends it. */
const collect = async () => {
  const items: Array<StreamItem> = []
  const fiber = Effect.runFork(
    Effect.scoped(
      Effect.gen(function* () {
        const s = yield* openStream(request())
        yield* Stream.runForEach(s, (i) => Effect.sync(() => items.push(i)))
      }),
    ).pipe(Effect.either),
  )
  await eventually("a stream is open", () => server.open() === 1)
  return { items, fiber }
}

const withoutBytes = (items: ReadonlyArray<StreamItem>) => items.filter((i) => i._tag !== "Bytes")

describe("St2Stream", () => {
  it("asks for the route's announcements with the credential in a header, never in the URL", async () => {
    const { fiber } = await collect()
    server.end()
    await Effect.runPromise(Fiber.join(fiber))
    const seen = server.requests[0]
    expect(seen?.url).toBe("/stream/v1/stream?events=st2.announcement__errbot")
    expect(seen?.headers["st2-api-key"]).toBe("test-key")
    expect(seen?.headers.accept).toBe("text/event-stream")
    const token: St2Credential = { _tag: "Token", token: Redacted.make("a".repeat(32)) }
    await readAll(token)
    expect(server.requests[1]?.headers["x-auth-token"]).toBe("a".repeat(32))
  })

  it("yields heartbeats as liveness, events as parsed JSON in order, then ends when st2 closes", async () => {
    const { items, fiber } = await collect()
    server.send("st2.announcement__errbot", announcement("one"))
    server.heartbeat()
    // An event split across writes, and two events in one write.
    server.sendRaw('event: st2.announcement__errbot\ndata: {"payload":{"message":"t')
    server.sendRaw('wo"}}\n\nevent: x\ndata: 3\n\nevent: y\ndata: 4\n\n')
    await eventually("four events", () => withoutBytes(items).length === 4)
    server.end()
    const result = await Effect.runPromise(Fiber.join(fiber))
    expect(Either.isRight(result)).toBe(true)
    expect(withoutBytes(items)).toEqual([
      { _tag: "Event", event: "st2.announcement__errbot", data: announcement("one") },
      { _tag: "Event", event: "st2.announcement__errbot", data: { payload: { message: "two" } } },
      { _tag: "Event", event: "x", data: 3 },
      { _tag: "Event", event: "y", data: 4 },
    ])
  })

  it("yields a bare-newline heartbeat as a Bytes item and nothing else", async () => {
    const { items, fiber } = await collect()
    await eventually("the connect heartbeat", () => items.length === 1)
    server.heartbeat()
    await eventually("the second heartbeat", () => items.length === 2)
    server.end()
    await Effect.runPromise(Fiber.join(fiber))
    expect(items).toEqual([
      { _tag: "Bytes", size: 1 },
      { _tag: "Bytes", size: 1 },
    ])
  })

  it("reports malformed data as an item and keeps reading", async () => {
    const { items, fiber } = await collect()
    server.sendRaw("event: st2.announcement__errbot\ndata: {not json\n\n")
    server.send("st2.announcement__errbot", announcement("after"))
    await eventually("two items", () => withoutBytes(items).length === 2)
    server.end()
    await Effect.runPromise(Fiber.join(fiber))
    const [bad, good] = withoutBytes(items)
    expect(bad).toMatchObject({ _tag: "Malformed", event: "st2.announcement__errbot", raw: "{not json" })
    expect(good).toEqual({ _tag: "Event", event: "st2.announcement__errbot", data: announcement("after") })
  })

  it("treats nginx's `retry: 1000` answer as an ordinary end", async () => {
    server.script.push("nginx-retry")
    const result = await readAll()
    if (Either.isLeft(result)) throw new Error(`expected an end, got ${result.left._tag}`)
    expect(result.right.every((i) => i._tag === "Bytes")).toBe(true)
    expect(result.right.reduce((n, i) => n + (i._tag === "Bytes" ? i.size : 0), 0)).toBe(13)
  })

  it("fails a 401 with st2's faultstring and the reason read from it", async () => {
    const result = await readAll({ _tag: "ApiKey", key: Redacted.make("wrong-key") })
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isRight(result)) return
    expect(result.left).toMatchObject({
      _tag: "St2Unauthorized",
      status: 401,
      reason: "unknownKey",
      path: "/stream/v1/stream",
      requestId: "req-1",
    })
    expect(JSON.stringify(result.left)).not.toContain("wrong-key")
  })

  it("fails a 503 with St2ServerError", async () => {
    server.script.push("unavailable")
    const result = await readAll()
    expect(result).toMatchObject({
      _tag: "Left",
      left: { _tag: "St2ServerError", status: 503, faultstring: "Service Unavailable" },
    })
  })

  it("fails a 200 that is not an event stream with St2UndecodableBody", async () => {
    server.script.push("html")
    const result = await readAll()
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "St2UndecodableBody", status: 200 } })
    if (Either.isLeft(result) && result.left._tag === "St2UndecodableBody") {
      expect(result.left.detail).toContain("text/html")
    }
  })

  it("fails with St2Unavailable when nothing listens", async () => {
    const url = server.streamUrl
    await server.close()
    const result = await Effect.runPromise(
      streamItems({ streamUrl: url, dispatcher, credential: key, events }).pipe(
        Stream.runDrain,
        Effect.either,
      ),
    )
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "St2Unavailable" } })
    server = await startStreamServer()
  })

  it("fails with St2Unavailable when the connection drops mid-stream", async () => {
    const { items, fiber } = await collect()
    server.send("st2.announcement__errbot", announcement("before"))
    await eventually("one event", () => withoutBytes(items).length === 1)
    server.drop()
    const result = await Effect.runPromise(Fiber.join(fiber))
    expect(result).toMatchObject({ _tag: "Left", left: { _tag: "St2Unavailable" } })
  })

  it("aborts the request when its scope closes", async () => {
    const { fiber } = await collect()
    await Effect.runPromise(Fiber.interrupt(fiber))
    await eventually("the server sees the stream closed", () => server.open() === 0)
  })
})

describe("Announcement", () => {
  const decode = Schema.decodeUnknownEither(Announcement)
  it("decodes st2's announcement with nulls for unset parameters", () => {
    const data = {
      payload: {
        message: "hi",
        channel: "#ops",
        user: null,
        whisper: false,
        extra: { slack: {} },
        context: null,
      },
      trace_context: { trace_tag: "t" },
    }
    expect(decode(data)).toEqual(Either.right(data))
  })
  it("reads missing fields as null and ignores unknown ones", () => {
    expect(decode({ payload: { message: "hi", novel: 1 } })).toEqual(
      Either.right({
        payload: { message: "hi", channel: null, user: null, whisper: null, extra: null, context: null },
        trace_context: null,
      }),
    )
  })
  it("rejects data without a payload or with a wrongly typed field", () => {
    expect(Either.isLeft(decode({ message: "hi" }))).toBe(true)
    expect(Either.isLeft(decode({ payload: { message: 42 } }))).toBe(true)
  })
})
