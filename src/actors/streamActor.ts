import {
  Cause,
  type Chunk,
  Context,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  ParseResult,
  PubSub,
  type Queue,
  Runtime,
  Schema,
  type Scope,
  Stream,
} from "effect"
import type { St2Transport } from "../st2/St2Transport.ts"
import {
  type Actor,
  type ActorOptions,
  createActor,
  fromCallback,
  fromPromise,
  type InspectionEvent,
} from "xstate"
import {
  type ConnectionInput,
  type RefreshCredentialInput,
  type StreamFailure,
  type StreamMachine,
  type StreamEvent,
  type StreamMachineEvent,
  streamMachine,
} from "../machines/streamMachine.ts"
import { BotCredential } from "../st2/St2Credential.ts"
import { makeDispatcher, type St2Endpoints } from "../st2/St2Endpoints.ts"
import { openStream, type StreamItem, type StreamRequest } from "../st2/St2Stream.ts"
import {
  Announcement,
  announcementEvent,
  announcementProblems,
  announcementRoute,
} from "../st2/streamAnnouncement.ts"

export interface StreamOptions {
  readonly endpoints: Pick<St2Endpoints, "streamUrl" | "verifyCert" | "caCert">
  /** st2's `notification_route` for this bot (err-stackstorm's `route_key`, default `errbot`). */
  readonly routeKey: string
  /** Event globs to ask for; default: only this bot's announcements. */
  readonly events?: ReadonlyArray<string> | undefined
  /** XState inspection (`stormbot start --inspect`). */
  readonly inspect?: ((event: InspectionEvent) => void) | undefined
  /** Default: `makeDispatcher(endpoints, { bodyTimeoutMs: 0 })`, destroyed when the scope closes. */
  readonly dispatcher?: St2Transport | undefined
  /** Jitter source for the backoff (tests pin it). */
  readonly random?: (() => number) | undefined
  /** The machine's clock for its delays (XState's `clock` option); default: real time. */
  readonly clock?: ActorOptions<StreamMachine>["clock"] | undefined
  /** `limits.stream_silence` in ms: no byte for this long and the connection is dead (default 35 s). */
  readonly silenceLimitMs?: number | undefined
  /** `limits.max_response_bytes`: the largest event (or line) read (default 16 MiB). */
  readonly maxEventBytes?: number | undefined
  /** Bounds of opening the stream (`openStream`'s defaults: 10 s, 30 s, 5 s). */
  readonly connectTimeoutMs?: number | undefined
  readonly headersTimeoutMs?: number | undefined
  readonly errorBodyTimeoutMs?: number | undefined
}

/** Any event read from the stream, after the machine dispatched it. */
export type { StreamEvent }

export type StreamActorRef = Actor<StreamMachine>

/** The running stream: what it heard, and the actor that owns the connection (for inspection). */
export interface St2EventStreamService {
  /** This bot's announcements, decoded, in the order st2 sent them. Subscribes when run. */
  readonly announcements: Stream.Stream<Announcement>
  /** A subscription to announcements, open for the scope: subscribe before yielding, miss nothing. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<Announcement>, never, Scope.Scope>
  /** Every event asked for (announcements included), undecoded. */
  readonly events: Stream.Stream<StreamEvent>
  readonly actor: StreamActorRef
}

export class St2EventStream extends Context.Tag("stormbot/St2EventStream")<
  St2EventStream,
  St2EventStreamService
>() {}

/** One line about a failure for the log: tag, status and faultstring or cause; never a credential. */
export const describeStreamFailure = (f: StreamFailure | undefined): string => {
  if (f === undefined) return "none"
  switch (f._tag) {
    case "St2Unauthorized":
      return `401 ${f.reason}: ${f.faultstring}`
    case "St2Forbidden":
    case "St2NotFound":
    case "St2BadRequest":
    case "St2Conflict":
    case "St2ServerError":
      return `${f.status}: ${f.faultstring}`
    case "St2Unavailable":
      return `unreachable: ${f.cause}`
    case "St2Timeout":
      return f.phase === "connect"
        ? `could not connect within ${f.timeoutMs} ms`
        : f.phase === "headers"
          ? `no answer headers within ${f.timeoutMs} ms`
          : `timed out after ${f.timeoutMs} ms`
    case "St2ResponseTooLarge":
      return f.part === "event"
        ? `an event (or line) over ${f.limitBytes} bytes (limits.max_response_bytes)`
        : `HTTP ${f.status} with a body over ${f.limitBytes} bytes (limits.max_response_bytes)`
    case "St2UndecodableBody":
      return `not an event stream: ${f.detail}`
    case "CredentialUnavailable":
      return `no credential: ${f.message}`
    case "StreamEnded":
      return "the server closed the stream"
    case "StreamSilent":
      return `nothing heard for ${f.silentMs} ms while ${f.phase}`
    case "CredentialWaitExpired":
      return `no fresh credential after ${f.waitedMs} ms`
    case "StreamDefect":
      return `bug: ${f.message}`
  }
}

const defectMessage = (cause: Cause.Cause<unknown>): string => {
  const squashed = Cause.squash(cause)
  return squashed instanceof Error ? squashed.message : String(squashed)
}

/**
 * The machine with its I/O children: `connection` forks a fiber that takes the credential from
 * `BotCredential.get`, opens the stream and reports what it reads; `refreshCredential` reports a
 * 401 to the credential actor and waits for a fresh credential.
 */
export const streamActorLogic = (
  runtime: Runtime.Runtime<BotCredential>,
  request: Omit<StreamRequest, "credential">,
  fibers: Set<Fiber.RuntimeFiber<unknown, unknown>> = new Set(),
): StreamMachine =>
  streamMachine.provide({
    actors: {
      connection: fromCallback<StreamMachineEvent, ConnectionInput>(({ sendBack, input }) => {
        // The machine may stop this child while the fiber is between two sends.
        let active = true
        const send = (event: StreamMachineEvent) => {
          if (active) sendBack(event)
        }
        // One EVENTS per read (its events in order) and at most one BYTES per `bytesIntervalMs`:
        // per-item transitions cost more than the items themselves at thousands per second.
        const bytesEvery = input.bytesIntervalMs
        let lastBytesAt = Number.NEGATIVE_INFINITY
        const onChunk = (items: Chunk.Chunk<StreamItem>): Effect.Effect<void> => {
          const events: Array<StreamEvent> = []
          const malformed: Array<StreamItem & { _tag: "Malformed" }> = []
          let bytes = false
          for (const item of items) {
            if (item._tag === "Bytes") bytes = true
            else if (item._tag === "Event") events.push({ event: item.event, data: item.data })
            else malformed.push(item)
          }
          if (bytes) {
            const now = performance.now()
            if (now - lastBytesAt >= bytesEvery) {
              lastBytesAt = now
              send({ type: "BYTES" })
            }
          }
          if (events.length > 0) send({ type: "EVENTS", events })
          if (malformed.length === 0) return Effect.void
          // The data, and the JSON parser's message (which quotes it), only at debug.
          return Effect.forEach(malformed, (item) =>
            Effect.logWarning("stream event with malformed data skipped").pipe(
              Effect.annotateLogs({ event: item.event, characters: item.raw.length }),
              Effect.zipRight(
                Effect.logDebug("malformed stream event data").pipe(
                  Effect.annotateLogs({
                    event: item.event,
                    detail: item.detail,
                    data: item.raw.length > 200 ? `${item.raw.slice(0, 200)}…` : item.raw,
                  }),
                ),
              ),
            ),
          )
        }
        const program = Effect.gen(function* () {
          const bot = yield* BotCredential
          const credential = yield* bot.get
          const exit = yield* Effect.scoped(
            Effect.gen(function* () {
              const items = yield* openStream({ ...request, credential })
              send({ type: "OPENED", at: Date.now() })
              yield* Stream.runForEachChunk(items, onChunk)
            }),
          ).pipe(Effect.exit)
          return { exit, credential }
        }).pipe(Effect.exit)
        const fiber = Runtime.runFork(runtime)(
          program.pipe(
            // The final event is the last thing the fiber does: the scope is already closed.
            Effect.flatMap((outer) =>
              Effect.sync(() => {
                if (Exit.isSuccess(outer)) {
                  const { exit, credential } = outer.value
                  if (Exit.isSuccess(exit)) return send({ type: "CLOSED" })
                  if (Cause.isInterruptedOnly(exit.cause)) return
                  const failure = Cause.failureOption(exit.cause)
                  if (failure._tag === "Some" && failure.value._tag === "St2ResponseTooLarge")
                    Runtime.runSync(runtime)(
                      Effect.logWarning(
                        `stream closed: StackStorm sent an event (or line) larger than limits.max_response_bytes (${failure.value.limitBytes} bytes); reconnecting`,
                      ),
                    )
                  return send({
                    type: "FAILED",
                    credential,
                    error:
                      failure._tag === "Some"
                        ? failure.value
                        : { _tag: "StreamDefect", message: defectMessage(exit.cause) },
                  })
                }
                if (Cause.isInterruptedOnly(outer.cause)) return
                const failure = Cause.failureOption(outer.cause)
                send({
                  type: "FAILED",
                  error:
                    failure._tag === "Some"
                      ? failure.value
                      : { _tag: "StreamDefect", message: defectMessage(outer.cause) },
                })
              }),
            ),
          ),
        )
        fibers.add(fiber)
        fiber.addObserver(() => fibers.delete(fiber))
        return () => {
          active = false
          Runtime.runFork(runtime)(Fiber.interrupt(fiber))
        }
      }),
      refreshCredential: fromPromise<void, RefreshCredentialInput>(async ({ input, signal }) => {
        const exit = await Runtime.runPromiseExit(runtime)(
          Effect.gen(function* () {
            const bot = yield* BotCredential
            if (input.credential !== undefined && input.error?._tag === "St2Unauthorized") {
              yield* bot.reportUnauthorized(input.credential, input.error)
            }
            yield* bot.get
          }),
          { signal },
        )
        if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
      }),
    },
  })

const stateLabel = (actor: StreamActorRef): string => {
  const s = actor.getSnapshot()
  if (s.matches({ live: "connecting" })) return "connecting"
  if (s.matches({ live: "connected" })) return "connected"
  return typeof s.value === "string" ? s.value : JSON.stringify(s.value)
}

/**
 * Logs each change of an operator-visible stream state: connected (attempt), reconnecting
 * (attempt, delay, reason), waiting for a fresh credential (reason); others at debug.
 */
export const watchStreamActor = (
  a: StreamActorRef,
  routeKey: string,
  run: (effect: Effect.Effect<void>) => void,
) => {
  let last = ""
  return a.subscribe({
    next: () => {
      const label = stateLabel(a)
      if (label === last) return
      last = label
      const { attempt, lastError, retryDelayMs } = a.getSnapshot().context
      const log =
        label === "connected"
          ? Effect.logInfo("stream connected").pipe(Effect.annotateLogs({ attempt }))
          : label === "reconnecting"
            ? Effect.logInfo("stream reconnecting").pipe(
                Effect.annotateLogs({
                  attempt,
                  inMs: retryDelayMs,
                  reason: describeStreamFailure(lastError),
                }),
              )
            : label === "awaitingCredential"
              ? Effect.logInfo("stream waiting for a fresh credential").pipe(
                  Effect.annotateLogs({ reason: describeStreamFailure(lastError) }),
                )
              : Effect.logDebug(`stream ${label}`).pipe(Effect.annotateLogs({ attempt }))
      run(log.pipe(Effect.annotateLogs({ routeKey })))
    },
    error: (error) => run(Effect.logError("stream actor failed", Cause.die(error))),
  })
}

/**
 * Starts the stream actor for `options.routeKey` and stops it when the scope closes. Logs each
 * connect and reconnect at info (attempt and reason) and each dispatched event at debug.
 */
export const makeSt2EventStream = (
  options: StreamOptions,
): Effect.Effect<St2EventStreamService, never, BotCredential | Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<BotCredential>()
    const runSync = Runtime.runSync(runtime)
    const dispatcher =
      options.dispatcher ??
      (yield* Effect.acquireRelease(
        Effect.sync(() => makeDispatcher(options.endpoints, { bodyTimeoutMs: 0 })),
        (d) => Effect.promise(() => d.destroy()).pipe(Effect.ignore),
      ))
    const events = options.events ?? [announcementEvent(options.routeKey)]
    const eventHub = yield* Effect.acquireRelease(PubSub.unbounded<StreamEvent>(), PubSub.shutdown)
    const announcementHub = yield* Effect.acquireRelease(PubSub.unbounded<Announcement>(), PubSub.shutdown)
    let subscribers = 0
    const subscribe = Effect.acquireRelease(
      Effect.sync(() => {
        subscribers++
      }),
      () =>
        Effect.sync(() => {
          subscribers--
        }),
    ).pipe(Effect.zipRight(PubSub.subscribe(announcementHub)))
    const decode = Schema.decodeUnknownEither(Announcement)

    const dispatch = (event: string, data: unknown): Effect.Effect<void> =>
      Effect.gen(function* () {
        yield* Effect.logDebug("stream event dispatched")
        yield* PubSub.publish(eventHub, { event, data })
        if (announcementRoute(event) === undefined) return
        const decoded = decode(data)
        if (Either.isLeft(decoded)) {
          // Which fields are wrong at warning; Schema's message, which quotes the data, at debug.
          return yield* Effect.logWarning("announcement skipped: its data is not an announcement").pipe(
            Effect.annotateLogs({ problems: announcementProblems(decoded.left) }),
            Effect.zipRight(
              Effect.logDebug("undecodable announcement").pipe(
                Effect.annotateLogs({ detail: ParseResult.TreeFormatter.formatErrorSync(decoded.left) }),
              ),
            ),
          )
        }
        if (subscribers === 0) {
          return yield* Effect.logWarning(
            "announcement dropped: nothing is subscribed to announcements",
          ).pipe(
            Effect.annotateLogs({ channel: decoded.right.payload.channel, user: decoded.right.payload.user }),
          )
        }
        yield* PubSub.publish(announcementHub, decoded.right)
      }).pipe(Effect.annotateLogs({ event }))

    const fibers = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
    const logic = streamActorLogic(
      runtime,
      {
        streamUrl: options.endpoints.streamUrl,
        dispatcher,
        events,
        maxEventBytes: options.maxEventBytes,
        connectTimeoutMs: options.connectTimeoutMs,
        headersTimeoutMs: options.headersTimeoutMs,
        errorBodyTimeoutMs: options.errorBodyTimeoutMs,
      },
      fibers,
    )
    const actor = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const a = createActor(logic, {
          id: "stream",
          input: { random: options.random, silenceLimitMs: options.silenceLimitMs },
          ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
          ...(options.clock === undefined ? {} : { clock: options.clock }),
        })
        a.on("stream.events", (e) => {
          for (const { event, data } of e.events) runSync(dispatch(event, data))
        })
        watchStreamActor(a, options.routeKey, runSync)
        a.start()
        return a
      }),
      (a) =>
        Effect.gen(function* () {
          a.stop()
          yield* Fiber.interruptAll([...fibers])
        }),
    )
    return {
      announcements: Stream.unwrapScoped(Effect.map(subscribe, (q) => Stream.fromQueue(q))),
      subscribe,
      events: Stream.fromPubSub(eventHub),
      actor,
    }
  })

/** The stream as a service: started when the layer is built, stopped when it is released. */
export const St2EventStreamLive = (
  options: StreamOptions,
): Layer.Layer<St2EventStream, never, BotCredential> =>
  Layer.scoped(St2EventStream, makeSt2EventStream(options))
