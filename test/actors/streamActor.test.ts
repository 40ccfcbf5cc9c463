import { Chunk, Effect, Exit, HashMap, Layer, Logger, LogLevel, Queue, Redacted, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import type { InspectionEvent } from "xstate"
import {
  makeSt2EventStream,
  type St2EventStreamService,
  type StreamOptions,
} from "../../src/actors/streamActor.ts"
import { BotCredential, CredentialUnavailable, type St2Credential } from "../../src/st2/St2Credential.ts"
import type { St2Unauthorized } from "../../src/st2/St2Error.ts"
import type { Announcement } from "../../src/st2/streamAnnouncement.ts"
import { announcement, eventually, type StreamServer, startStreamServer } from "../st2/streamServer.ts"

/**
 * A bot credential that holds one API key. Like the credential actor after a 401, it takes the
 * report and then hands out the next key it was told about.
 */
const testCredential = (first: string) => {
  let key = first
  let next: string | undefined
  const reports: Array<{ credential: St2Credential; error: St2Unauthorized }> = []
  const layer = Layer.succeed(BotCredential, {
    get: Effect.sync(() => ({ _tag: "ApiKey", key: Redacted.make(key) }) as const),
    peek: () => ({ _tag: "ApiKey", key: Redacted.make(key) }) as const,
    reportUnauthorized: (credential, error) =>
      Effect.sync(() => {
        reports.push({ credential, error })
        if (next !== undefined) key = next
      }),
  })
  return { layer, reports, rotateTo: (k: string) => (next = k) }
}

/** Real timers, but backoff waits (≤ 5 s) run 50× faster; the 35 s silence limit is untouched. */
const fastRetries = {
  setTimeout: (fn: (...args: Array<unknown>) => void, ms: number) =>
    setTimeout(fn, ms <= 5_000 ? ms / 50 : ms),
  clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout),
}

interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

let server: StreamServer | undefined
let scope: Scope.CloseableScope | undefined
afterEach(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  await server?.close()
  scope = undefined
  server = undefined
})

const start = async (
  credential: ReturnType<typeof testCredential>,
  options: Partial<StreamOptions> & { subscribe?: boolean } = {},
) => {
  server = await startStreamServer(["key-1"])
  const s = Effect.runSync(Scope.make())
  scope = s
  const logs: Array<LogLine> = []
  const logger = Logger.make(({ logLevel, message, annotations }) =>
    logs.push({
      level: logLevel.label,
      message: Array.isArray(message) ? message.join(" ") : String(message),
      annotations: Object.fromEntries(HashMap.toEntries(annotations)),
    }),
  )
  const service: St2EventStreamService = await Effect.runPromise(
    makeSt2EventStream({
      endpoints: { streamUrl: server.streamUrl, verifyCert: true },
      routeKey: "errbot",
      clock: fastRetries,
      ...options,
    }).pipe(
      Scope.extend(s),
      Effect.provide(credential.layer),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Debug),
    ),
  )
  const received: Array<Announcement> = []
  if (options.subscribe !== false) {
    const queue = await Effect.runPromise(service.subscribe.pipe(Scope.extend(s)))
    const drain = () => received.push(...Chunk.toArray(Effect.runSync(Queue.takeAll(queue))))
    return { service, logs, received, drain, srv: server }
  }
  return { service, logs, received, drain: () => undefined, srv: server }
}

const messages = (received: ReadonlyArray<Announcement>) => received.map((a) => a.payload.message)

describe("streamActor", () => {
  it("heals after every fault and delivers each announcement sent after recovery, in order", async () => {
    const credential = testCredential("key-1")
    const { service, logs, received, drain, srv } = await start(credential)
    const waitFor = async (n: number) => {
      await eventually(`${n} announcements`, () => {
        drain()
        return received.length >= n
      })
    }
    const connection = async (n: number) => {
      await eventually(`stream connection ${n}`, () => srv.accepted() === n)
      await eventually("the machine is connected", () =>
        service.actor.getSnapshot().matches({ live: "connected" }),
      )
    }

    await connection(1)
    srv.send("st2.announcement__errbot", announcement("a1"))
    srv.send("st2.announcement__errbot", announcement("a2"))
    await waitFor(2)

    // Malformed data and data that is not an announcement are logged and skipped.
    srv.sendRaw("event: st2.announcement__errbot\ndata: {oops\n\n")
    srv.send("st2.announcement__errbot", { not: "an announcement" })
    srv.send("st2.announcement__errbot", announcement("a3"))
    await waitFor(3)

    // The connection drops.
    srv.drop()
    await connection(2)
    srv.send("st2.announcement__errbot", announcement("a4"))
    await waitFor(4)

    // st2 answers 503 twice, then comes back.
    const before503 = srv.requests.length
    srv.script.push("unavailable", "unavailable")
    srv.drop()
    await connection(3)
    expect(srv.requests.length - before503).toBe(3)
    srv.send("st2.announcement__errbot", announcement("a5"))
    await waitFor(5)

    // st2stream is down behind nginx: `retry: 1000` and close, then it is back.
    srv.script.push("nginx-retry")
    srv.end()
    await connection(4)
    srv.send("st2.announcement__errbot", announcement("a6"))
    await waitFor(6)

    // The key is revoked: 401, report it, reconnect with the fresh one.
    srv.keys.clear()
    srv.keys.add("key-2")
    credential.rotateTo("key-2")
    srv.drop()
    await connection(5)
    srv.send("st2.announcement__errbot", announcement("a7"))
    await waitFor(7)

    expect(messages(received)).toEqual(["a1", "a2", "a3", "a4", "a5", "a6", "a7"])
    expect(credential.reports).toHaveLength(1)
    expect(credential.reports[0]?.error).toMatchObject({ _tag: "St2Unauthorized", reason: "unknownKey" })
    const rejected = credential.reports[0]?.credential
    expect(rejected?._tag === "ApiKey" && Redacted.value(rejected.key)).toBe("key-1")
    expect(srv.requests.at(-1)?.headers["st2-api-key"]).toBe("key-2")

    const lines = (message: string) => logs.filter((l) => l.message === message)
    expect(lines("stream event dispatched").filter((l) => l.level === "DEBUG")).toHaveLength(8)
    expect(lines("stream event dispatched")[0]?.annotations.event).toBe("st2.announcement__errbot")
    expect(lines("stream event with malformed data skipped")).toHaveLength(1)
    expect(lines("announcement skipped: its data is not an announcement")).toHaveLength(1)
    expect(lines("stream connected").length).toBeGreaterThanOrEqual(5)
    const reasons = lines("stream reconnecting").map((l) => String(l.annotations.reason))
    expect(reasons.some((r) => r.startsWith("503"))).toBe(true)
    expect(reasons.some((r) => r === "the server closed the stream")).toBe(true)
    expect(reasons.some((r) => r.startsWith("unreachable"))).toBe(true)
    expect(lines("stream waiting for a fresh credential")[0]?.annotations.reason).toContain("401 unknownKey")
    expect(logs.map((l) => JSON.stringify(l)).join("\n")).not.toMatch(/key-[12]/)
  })

  it("keeps trying while the credential cannot be had, then connects", async () => {
    let available = false
    const layer = Layer.succeed(BotCredential, {
      get: Effect.suspend(() =>
        available
          ? Effect.succeed({ _tag: "ApiKey", key: Redacted.make("key-1") } as const)
          : Effect.fail(new CredentialUnavailable({ message: "st2auth is down", permanent: false })),
      ),
      peek: () => (available ? ({ _tag: "ApiKey", key: Redacted.make("key-1") } as const) : undefined),
      reportUnauthorized: () => Effect.void,
    })
    const cred = { layer, reports: [], rotateTo: () => undefined } as unknown as ReturnType<
      typeof testCredential
    >
    const { service, srv } = await start(cred)
    await eventually("several failed attempts", () => service.actor.getSnapshot().context.attempt >= 3)
    expect(srv.requests).toHaveLength(0)
    available = true
    await eventually("connected", () => service.actor.getSnapshot().matches({ live: "connected" }))
    expect(srv.accepted()).toBe(1)
  })

  it("logs an announcement nobody subscribed to as dropped", async () => {
    const { logs, srv, service } = await start(testCredential("key-1"), { subscribe: false })
    await eventually("connected", () => service.actor.getSnapshot().matches({ live: "connected" }))
    srv.send("st2.announcement__errbot", announcement("lost"))
    await eventually("the drop is logged", () =>
      logs.some((l) => l.message === "announcement dropped: nothing is subscribed to announcements"),
    )
  })

  it("shows its transitions to an inspector, and closes the stream when its scope closes", async () => {
    const inspected: Array<InspectionEvent> = []
    const { service, srv } = await start(testCredential("key-1"), { inspect: (e) => inspected.push(e) })
    await eventually("connected", () => service.actor.getSnapshot().matches({ live: "connected" }))
    const snapshots = inspected.filter((e) => e.type === "@xstate.snapshot" && e.actorRef === service.actor)
    expect(snapshots.length).toBeGreaterThan(0)
    expect(inspected.some((e) => e.type === "@xstate.event" && e.event.type === "OPENED")).toBe(true)

    await Effect.runPromise(Scope.close(scope!, Exit.void))
    scope = undefined
    expect(service.actor.getSnapshot().status).toBe("stopped")
    await eventually("the server sees the stream closed", () => srv.open() === 0)
    const accepted = srv.accepted()
    await new Promise((r) => setTimeout(r, 100))
    expect(srv.accepted()).toBe(accepted)
  })
})
