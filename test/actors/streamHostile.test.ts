import { Effect, Exit, HashMap, Layer, Logger, LogLevel, Redacted, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { SimulatedClock } from "xstate"
import {
  makeSt2EventStream,
  type St2EventStreamService,
  type StreamOptions,
} from "../../src/actors/streamActor.ts"
import { BotCredential, type St2Credential } from "../../src/st2/St2Credential.ts"
import type { St2Unauthorized } from "../../src/st2/St2Error.ts"
import { type HostileAnswer, type HostileServer, startHostileServer } from "../st2/hostileServer.ts"
import { eventually, type StreamServer, startStreamServer } from "../st2/streamServer.ts"

interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

const reports: Array<{ credential: St2Credential; error: St2Unauthorized }> = []
const credential = Layer.succeed(BotCredential, {
  get: Effect.sync(() => ({ _tag: "ApiKey", key: Redacted.make("key-1") }) as const),
  peek: () => ({ _tag: "ApiKey", key: Redacted.make("key-1") }) as const,
  reportUnauthorized: (c, error) => Effect.sync(() => void reports.push({ credential: c, error })),
})

/** The stream actor against `streamUrl`, on a simulated clock, logging everything (debug included). */
const start = async (streamUrl: string, options: Partial<StreamOptions> = {}) => {
  const scope = Effect.runSync(Scope.make())
  closers.push(() => Effect.runPromise(Scope.close(scope, Exit.void)))
  const logs: Array<LogLine> = []
  const logger = Logger.make(({ logLevel, message, annotations }) =>
    logs.push({
      level: logLevel.label,
      message: Array.isArray(message) ? message.join(" ") : String(message),
      annotations: Object.fromEntries(HashMap.toEntries(annotations)),
    }),
  )
  const clock = new SimulatedClock()
  const service: St2EventStreamService = await Effect.runPromise(
    makeSt2EventStream({
      endpoints: { streamUrl, verifyCert: true },
      routeKey: "errbot",
      clock,
      ...options,
    }).pipe(
      Scope.extend(scope),
      Effect.provide(credential),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Debug),
    ),
  )
  const ctx = () => service.actor.getSnapshot().context
  return { service, logs, clock, ctx }
}

const hostile = async (answer: HostileAnswer): Promise<HostileServer> => {
  const server = await startHostileServer(answer)
  closers.push(server.close)
  return server
}

const sseHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=UTF-8\r\n\r\n"
const connected = (service: St2EventStreamService) =>
  eventually("the stream is connected", () => service.actor.getSnapshot().matches({ live: "connected" }))
/** Log lines above debug, as one text. */
const aboveDebug = (logs: ReadonlyArray<LogLine>) =>
  logs
    .filter((l) => l.level !== "DEBUG")
    .map((l) => JSON.stringify(l))
    .join("\n")

describe("the stream actor against a hostile server", () => {
  it("headers, then nothing: dead after limits.stream_silence (35 s by default), not 60 s", async () => {
    const server = await hostile({ head: sseHead })
    const { service, clock, ctx } = await start(`${server.url}/stream/v1`)
    await connected(service)
    clock.increment(34_999)
    expect(service.actor.getSnapshot().matches({ live: "connected" })).toBe(true)
    clock.increment(1)
    expect(service.actor.getSnapshot().value).toBe("reconnecting")
    expect(ctx().lastError).toEqual({ _tag: "StreamSilent", phase: "connected", silentMs: 35_000 })
    // The silent connection is closed; the server never wrote more than the head.
    await eventually("the silent connection is closed", () => server.connections[0]?.closed === true)
    expect(server.written()).toBe(sseHead.length)
  })

  it("a configured silence limit replaces the default", async () => {
    const server = await hostile({ head: sseHead })
    const { service, clock, ctx } = await start(`${server.url}/stream/v1`, { silenceLimitMs: 12_000 })
    await connected(service)
    clock.increment(12_000)
    expect(ctx().lastError).toEqual({ _tag: "StreamSilent", phase: "connected", silentMs: 12_000 })
  })

  it("an endless line ends the connection with a warning saying which limit, then reconnects", async () => {
    const server = await hostile({
      head: sseHead,
      body: { prefix: "\ndata: ", repeat: "x".repeat(16 * 1024) },
    })
    const { service, logs, ctx } = await start(`${server.url}/stream/v1`, { maxEventBytes: 64 * 1024 })
    await eventually("the stream is reconnecting", () => service.actor.getSnapshot().value === "reconnecting")
    expect(ctx().lastError).toMatchObject({ _tag: "St2ResponseTooLarge", part: "event", limitBytes: 65_536 })
    const warning = logs.find((l) => l.level === "WARN" && l.message.startsWith("stream closed"))
    expect(warning?.message).toBe(
      "stream closed: StackStorm sent an event (or line) larger than limits.max_response_bytes (65536 bytes); reconnecting",
    )
    const reconnecting = logs.find((l) => l.message === "stream reconnecting")
    expect(String(reconnecting?.annotations.reason)).toContain("over 65536 bytes (limits.max_response_bytes)")
    await eventually("the connection is closed", () => server.connections[0]?.closed === true)
    expect(server.connections[0]?.exhausted).toBe(false)
    expect(server.connections[0]?.written).toBeLessThan(16 * 1024 * 1024)
    expect(aboveDebug(logs)).not.toContain("xxxx")
  })

  it("st2's 401 quoting a key hash: the reason is logged, the hash never", async () => {
    const hash = "9c".repeat(64)
    const body = JSON.stringify({ faultstring: `Unauthorized - ApiKey with key_hash=${hash} not found.` })
    const server = await hostile({
      head: `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    })
    reports.length = 0
    const { logs } = await start(`${server.url}/stream/v1`)
    await eventually("the 401 is reported", () => reports.length === 1)
    await eventually("the wait is logged", () =>
      logs.some((l) => l.message === "stream waiting for a fresh credential"),
    )
    expect(reports[0]?.error).toMatchObject({ reason: "unknownKey" })
    expect(logs.find((l) => l.message === "stream waiting for a fresh credential")?.annotations.reason).toBe(
      "401 unknownKey: Unauthorized - ApiKey with key_hash=<redacted> not found.",
    )
    expect(logs.map((l) => JSON.stringify(l)).join("\n")).not.toContain(hash)
    expect(JSON.stringify(reports[0]?.error)).not.toContain(hash)
  })

  it("bad stream data: which event and what was wrong above debug, the data itself at debug only", async () => {
    const server: StreamServer = await startStreamServer(["key-1"])
    closers.push(server.close)
    const { service, logs } = await start(server.streamUrl)
    await connected(service)
    const marker = "result-text-of-a-private-run"
    server.sendRaw(`event: st2.announcement__errbot\ndata: {"${marker}\n\n`)
    server.send("st2.announcement__errbot", { payload: { message: 42, channel: marker } })
    await eventually("both are logged", () =>
      logs.some((l) => l.message === "announcement skipped: its data is not an announcement"),
    )
    const malformed = logs.find((l) => l.message === "stream event with malformed data skipped")
    expect(malformed?.annotations).toMatchObject({
      event: "st2.announcement__errbot",
      characters: marker.length + 2,
    })
    const skipped = logs.find((l) => l.message === "announcement skipped: its data is not an announcement")
    expect(skipped?.annotations.problems).toBe("payload.message: Type")
    expect(aboveDebug(logs)).not.toContain(marker)
    expect(aboveDebug(logs)).not.toContain("42")
    // Still there for whoever debugs with --log-level debug.
    const debug = logs.filter((l) => l.level === "DEBUG").map((l) => JSON.stringify(l))
    expect(debug.join("\n")).toContain(marker)
  })
})
