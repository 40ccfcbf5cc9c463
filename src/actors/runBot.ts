import {
  Deferred,
  Effect,
  Either,
  Fiber,
  FiberSet,
  HashSet,
  Layer,
  Option,
  ParseResult,
  Queue,
  Runtime,
  Schema,
  type Scope,
  Stream,
} from "effect"
import { type Actor, type AnyActorRef, createActor, type InspectionEvent } from "xstate"
import type { ChatAdapter, ChatMessage } from "../adapters/ChatAdapter.ts"
import { decodeSourceContext } from "../adapters/SourceContext.ts"
import { AliasRefresh } from "../bot/AliasRefresh.ts"
import { AliasStore } from "../bot/AliasStore.ts"
import { BotSettings } from "../bot/BotSettings.ts"
import { ChatAdapters, type RunningAdapter } from "../bot/ChatAdapters.ts"
import type { CommandRequest } from "../bot/CommandRequest.ts"
import { makeCommandHandler } from "../bot/makeCommandHandler.ts"
import { PendingResults } from "../bot/PendingResults.ts"
import { parseCommand } from "../bot/parseCommand.ts"
import type { ChatDelivery } from "../chat/ChatDelivery.ts"
import { type DeliveryPlan, deliverToChat, logUndelivered, queueDelivery } from "../chat/deliverToChat.ts"
import { makeOutboundQueue } from "../chat/OutboundQueue.ts"
import { type StormbotConfig, st2Endpoints } from "../config/StormbotConfig.ts"
import type { aliasSyncMachine } from "../machines/aliasSyncMachine.ts"
import { chatSessionMachine } from "../machines/chatSessionMachine.ts"
import type { CredentialTimings } from "../machines/credentialMachine.ts"
import { makeSupervisorMachine, type SupervisorMachine } from "../machines/supervisorMachine.ts"
import { type CredentialSource, describeCredentialSource } from "../st2/CredentialSource.ts"
import { St2ClientLive } from "../st2/St2Client.ts"
import { BotCredential } from "../st2/St2Credential.ts"
import { makeDispatcher } from "../st2/St2Endpoints.ts"
import { fastAnnouncement } from "../st2/fast/fastAnnouncement.ts"
import { Announcement, announcementEvent, announcementProblems } from "../st2/streamAnnouncement.ts"
import { makeWebServer } from "../web/WebServer.ts"
import { adapterActorLogic } from "./adapterConnectionLogic.ts"
import { aliasSyncLogic } from "./aliasSyncLogic.ts"
import {
  botCredentialService,
  type CredentialActor,
  credentialLogic,
  watchCredentialActor,
} from "./BotCredentialLive.ts"
import { type StreamActorRef, streamActorLogic, watchStreamActor } from "./streamActor.ts"
import { transitionLogger } from "./transitionLogger.ts"

export interface BotOptions {
  readonly config: StormbotConfig
  /** The chat backends, already built from `config.adapters` (or fakes in tests). */
  readonly adapters: ReadonlyArray<ChatAdapter>
  /** The bot's credential, chosen from `stackstorm.api_auth` (`chooseCredentialSource`). */
  readonly credential: CredentialSource
  /** Log every state transition of every actor (`stormbot start --inspect`). */
  readonly inspect?: boolean
  /** Another inspection observer, e.g. `@statelyai/inspect`'s `inspector.inspect`. */
  readonly inspector?: ((event: InspectionEvent) => void) | undefined
  /** Bound on waiting for in-flight commands at shutdown. Default 10 s. */
  readonly drainTimeoutMs?: number
  /** A chat session closes after this long without commands. Default 10 minutes. */
  readonly sessionIdleMs?: number
  /**
   * Commands of one chat user running at once; overrides `config.limits.perUserConcurrency`
   * (default 1: they reach StackStorm in the order typed). For tests and benchmarks.
   */
  readonly perUserConcurrency?: number
  readonly credentialTimings?: Partial<CredentialTimings>
  /** How long `BotCredential.get` waits for a credential. Default 15 s. */
  readonly credentialWaitMs?: number
}

export interface Bot {
  readonly supervisor: Actor<SupervisorMachine>
  /** Completes when every adapter's input has ended (piped stdin at EOF); never for network chats. */
  readonly inputEnded: Effect.Effect<void>
  /** Completes when no command is being handled (matched, executed, acked). */
  readonly commandsIdle: Effect.Effect<void>
  /** Commands accepted and not yet ended (running or queued in a chat session). */
  readonly commandsInFlight: () => number
  /** Results StackStorm still owes for commands this bot ran. */
  readonly pending: typeof PendingResults.Service
  /** Completes when no outbound chat message is waiting or being retried. */
  readonly outboundIdle: Effect.Effect<void>
  /** The web server's base URL, when `web.enabled`. */
  readonly webUrl: string | undefined
  /** Hands a message to chat as an announcement would be (the webhook's path). */
  readonly deliver: (
    delivery: ChatDelivery,
  ) => Effect.Effect<{ readonly queued: boolean; readonly reason?: string }>
}

/**
 * Runs the whole bot in the current scope: the StackStorm client, one outbound queue per
 * adapter, the supervisor actor with its children (credential, alias sync, stream, one
 * connection per adapter, one session per chat user), the intake of chat messages, the
 * delivery of announcements, and the web server. Closing the scope shuts down in order: stop
 * taking messages; SHUTDOWN (in-flight commands finish, bounded); outbound messages drain
 * (bounded); every child, connection and server is closed.
 */
export const runBot = (options: BotOptions): Effect.Effect<Bot, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const { config } = options
    const st2 = config.stackstorm
    const endpoints = { ...st2Endpoints(config), maxResponseBytes: config.limits.maxResponseBytes }
    const adapterNames = options.adapters.map((a) => a.name)
    const duplicate = adapterNames.find((n, i) => adapterNames.indexOf(n) !== i)
    if (duplicate !== undefined)
      return yield* Effect.fail(new Error(`two chat adapters are named "${duplicate}"`))

    // The supervisor is created after the services it needs; the services find it through this.
    let supervisor: Actor<SupervisorMachine> | undefined
    const child = <T>(id: string): T | undefined => {
      const s = supervisor
      if (s === undefined) return undefined
      return s.system.get(id) as T | undefined
    }
    const botCredential = botCredentialService(
      () => {
        if (supervisor === undefined) return undefined
        if (supervisor.getSnapshot().status !== "active") return "shutDown"
        return child<CredentialActor>("credential")
      },
      {
        who: describeCredentialSource(options.credential),
        waitTimeoutMs: options.credentialWaitMs ?? 15_000,
      },
    )

    const queues: RunningAdapter[] = []
    for (const adapter of options.adapters) {
      const queue = yield* makeOutboundQueue({ minInterval: adapter.limits.minSendIntervalMs })
      queues.push({ adapter, queue })
    }

    const services = Layer.mergeAll(
      St2ClientLive(endpoints),
      AliasStore.layer,
      PendingResults.layer,
      Layer.succeed(BotCredential, botCredential),
      Layer.succeed(BotSettings, {
        botPrefix: st2.botPrefix,
        pluginPrefix: st2.pluginPrefix,
        routeKey: st2.routeKey,
        limits: config.limits,
      }),
      Layer.succeed(ChatAdapters, { all: queues }),
      Layer.succeed(AliasRefresh, {
        request: Effect.sync(() => child<Actor<never>>("aliasSync")?.send({ type: "REFRESH" } as never)),
      }),
    )
    const context = yield* Layer.build(services)
    const runtime = yield* Effect.runtime<Layer.Layer.Success<typeof services>>().pipe(
      Effect.provide(context),
    )
    const run = Runtime.runFork(runtime)
    const pending = yield* PendingResults.pipe(Effect.provide(context))

    // Announcements, in the order the stream delivered them, to the adapter that sent the command.
    const announcements = yield* Queue.unbounded<{ readonly event: string; readonly data: unknown }>()
    const adapterFor = (ctx: unknown): RunningAdapter | undefined =>
      Option.match(decodeSourceContext(ctx), {
        onNone: () => queues[0],
        onSome: (c) => queues.find((q) => q.adapter.name === c.adapter) ?? queues[0],
      })
    /**
     * Queues `delivery` on the adapter its context names (the first one otherwise), at most
     * `limits.max_result_parts` chat messages; logs nothing.
     */
    const maxParts = config.limits.maxResultParts
    const queueFor = (
      delivery: ChatDelivery,
      link?: () => string | undefined,
    ): { readonly adapter?: string; readonly plan: DeliveryPlan } => {
      const target = adapterFor(delivery.context)
      return target === undefined
        ? { plan: { _tag: "Undeliverable", reason: "no chat adapter is configured" } }
        : {
            adapter: target.adapter.name,
            plan: queueDelivery(target.adapter, target.queue, delivery, { maxParts, link }),
          }
    }
    /** The log line of a delivery cut to `maxParts` messages. */
    const logCut = (adapter: string | undefined, plan: DeliveryPlan) =>
      plan._tag === "Queued" && plan.cutParts !== undefined && plan.cutParts > 0
        ? Effect.logInfo(`a message too long for chat was cut to ${plan.parts} parts`).pipe(
            Effect.annotateLogs({ adapter, target: plan.key, cutParts: plan.cutParts }),
          )
        : undefined
    const deliver = (delivery: ChatDelivery) =>
      Effect.suspend(() => {
        const { adapter, plan } = queueFor(delivery)
        const cut = logCut(adapter, plan)
        if (cut !== undefined) return Effect.as(cut, { queued: true })
        if (plan._tag === "Queued") return Effect.succeed({ queued: true })
        const answer = { queued: false, reason: plan.reason }
        return adapter === undefined
          ? Effect.succeed(answer)
          : Effect.as(logUndelivered(adapter, plan), answer)
      })
    const schemaDecodeAnnouncement = Schema.decodeUnknownEither(Announcement)
    // The hand-written decoder for st2's shape first; the Schema for anything else (and its message).
    const decodeAnnouncement = (data: unknown) => {
      const quick = fastAnnouncement(data)
      return quick !== undefined ? Either.right(quick) : schemaDecodeAnnouncement(data)
    }
    const ourEvent = announcementEvent(st2.routeKey)
    // One batch of stream events, in order, as plain calls: decoding, settling and queueing are
    // synchronous; only log lines (rare: a bad announcement, or debug) are effects.
    const onAnnouncements = (batch: Iterable<{ readonly event: string; readonly data: unknown }>) =>
      Effect.flatMap(Effect.whenLogLevel(Effect.void, "Debug"), (debug) => {
        const logs: Array<Effect.Effect<void>> = []
        for (const { event, data } of batch) {
          if (debug._tag === "Some")
            logs.push(Effect.logDebug("stream event dispatched").pipe(Effect.annotateLogs({ event })))
          if (event !== ourEvent) continue
          const announcement = decodeAnnouncement(data)
          if (Either.isLeft(announcement)) {
            // Which fields are wrong at warning; Schema's message, which quotes the data, at debug.
            logs.push(
              Effect.logWarning("announcement skipped: its data is not an announcement").pipe(
                Effect.annotateLogs({ event, problems: announcementProblems(announcement.left) }),
              ),
            )
            if (debug._tag === "Some")
              logs.push(
                Effect.logDebug("undecodable announcement").pipe(
                  Effect.annotateLogs({
                    event,
                    detail: ParseResult.TreeFormatter.formatErrorSync(announcement.left),
                  }),
                ),
              )
            continue
          }
          const payload = announcement.right.payload
          const delivery = { ...payload, message: payload.message ?? "" }
          try {
            // Before settling: a result cut for chat links its execution, known while it is owed.
            const { adapter, plan } = queueFor(delivery, () =>
              pending.linkOf(payload.context, delivery.message),
            )
            if (plan._tag === "Undeliverable") logs.push(logUndelivered(adapter, plan))
            else if (plan.cutParts !== undefined && plan.cutParts > 0) logs.push(logCut(adapter, plan)!)
          } catch (e) {
            // A bug (an adapter's code throwing) costs this announcement, never the ones after it.
            logs.push(Effect.logError("announcement not delivered: unexpected failure", e))
          } finally {
            pending.settle(payload.context, delivery.message)
          }
        }
        return logs.length === 0 ? Effect.void : Effect.all(logs, { discard: true })
      })
    // Everything queued since the last turn at once, in order: one fiber wake-up per batch.
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.flatMap(Queue.takeBetween(announcements, 1, Number.MAX_SAFE_INTEGER), onAnnouncements),
      ).pipe(Effect.provide(context)),
    )

    // Children of the supervisor.
    const streamDispatcher = yield* Effect.acquireRelease(
      Effect.sync(() => makeDispatcher(endpoints, { bodyTimeoutMs: 0 })),
      (d) => Effect.promise(() => d.destroy()).pipe(Effect.ignore),
    )
    const stream = streamActorLogic(runtime, {
      streamUrl: st2.streamUrl,
      dispatcher: streamDispatcher,
      events: [ourEvent],
      maxEventBytes: config.limits.maxResponseBytes,
    }).provide({
      actions: {
        forwardEvents: ({ event }) => {
          if (event.type === "EVENTS") for (const e of event.events) Queue.unsafeOffer(announcements, e)
        },
      },
    })
    // A command runs as plain calls on its common path; what continues as effects (help, a remote
    // match, failures, log lines) runs on fibers owned by this scope (closing it interrupts the
    // stragglers left after the drain). Each command tells its session when it ended, so the
    // session can start the next one.
    const commandFibers = yield* FiberSet.make()
    const runCommandFiber = FiberSet.runtime(commandFibers)<Layer.Layer.Success<typeof services>>().pipe(
      Effect.provide(context),
    )
    const forkCommand = yield* runCommandFiber
    const handleCommand = yield* makeCommandHandler((effect) => void forkCommand(effect)).pipe(
      Effect.provide(context),
    )
    // Accepted commands (routed to a session) and ended ones: the difference is what is in flight,
    // running or queued; one lost with a failed session stays counted, since its user got no answer.
    const commands = { accepted: 0, ended: 0 }
    const inFlight = () => commands.accepted - commands.ended
    // Commands that ended during this event-loop turn, per session: told in one COMMANDS_DONE
    // after the turn's I/O (a burst's answers arrive many per turn), one transition for them all.
    const endedThisTurn = new Map<AnyActorRef, number>()
    const tellEnded = () => {
      for (const [session, count] of endedThisTurn)
        if (session.getSnapshot().status === "active") session.send({ type: "COMMANDS_DONE", count })
      endedThisTurn.clear()
    }
    const commandEnded = (session: AnyActorRef) => {
      if (endedThisTurn.size === 0) setImmediate(tellEnded)
      endedThisTurn.set(session, (endedThisTurn.get(session) ?? 0) + 1)
    }
    const machine = makeSupervisorMachine(adapterNames).provide({
      actors: {
        credential: credentialLogic(runtime),
        aliasSync: aliasSyncLogic(runtime),
        stream,
        adapter: adapterActorLogic(options.adapters, runtime),
        chatSession: chatSessionMachine.provide({
          actions: {
            runCommands: ({ self }, requests) => {
              for (const request of requests)
                handleCommand(request as CommandRequest<ChatMessage>, () => {
                  commands.ended += 1
                  commandEnded(self)
                })
            },
          },
        }),
      },
      actions: {
        refuseCommand: ({ event }) => {
          if (event.type !== "COMMAND") return
          const request = event.request as CommandRequest<ChatMessage>
          const target = queues.find((q) => q.adapter.name === request.adapter)
          if (target === undefined) return
          run(
            deliverToChat(target.adapter, target.queue, {
              message: "stormbot is shutting down; your command was not run. Please try again in a minute.",
              channel:
                request.message.room === undefined
                  ? undefined
                  : target.adapter.roomToSt2(request.message.room),
              user: target.adapter.userToSt2(request.message.user),
              context: target.adapter.sourceContext(request.message),
            }),
          )
        },
      },
    })

    const retryAliasesNow = () => {
      const aliasSync = child<Actor<typeof aliasSyncMachine>>("aliasSync")
      const state = aliasSync?.getSnapshot().value
      if (state === "retrying" || state === "stale") aliasSync!.send({ type: "RETRY_NOW" })
    }

    // Operators' log lines for each child, attached whenever one (re)starts.
    const log = (effect: Effect.Effect<void>) => void run(effect)
    const who = describeCredentialSource(options.credential)
    const logTransition = transitionLogger((t) =>
      log(
        Effect.logInfo(`${t.actor}: ${t.from} --${t.event}--> ${t.to}`).pipe(Effect.annotateLogs({ ...t })),
      ),
    )
    // StackStorm's stream cannot replay: after an outage, say how many results were owed, since
    // any announced meanwhile are lost (across supervisor restarts of the stream child too).
    let streamWasUp = false
    let streamUp = false
    const onStreamState = (connected: boolean) => {
      if (connected && !streamUp && streamWasUp)
        log(
          Effect.flatMap(pending.outstanding, (owed) =>
            owed === 0
              ? Effect.void
              : Effect.logWarning(
                  `the StackStorm stream is back; ${owed} result(s) were still owed: any announced while it was down are lost (StackStorm's stream cannot replay)`,
                ),
          ).pipe(Effect.annotateLogs("actor", "stream")),
        )
      if (connected) streamWasUp = true
      streamUp = connected
    }
    // Watchers attach at an actor's first snapshot: XState sends `@xstate.actor` before it sets
    // the actor's `systemId`, so the creation event cannot tell which child it is.
    const watched = new WeakSet<object>()
    const inspect = (event: InspectionEvent) => {
      if (event.type === "@xstate.snapshot" && !watched.has(event.actorRef)) {
        watched.add(event.actorRef)
        const ref = event.actorRef as unknown as { systemId?: string }
        if (ref.systemId === "credential") {
          const credential = event.actorRef as CredentialActor
          watchCredentialActor(credential, who, (e) =>
            log(e.pipe(Effect.annotateLogs("actor", "credential"))),
          )
          // Logged in again after an outage: a failed alias load need not wait out its own backoff.
          let loggedIn = true
          credential.subscribe({
            next: (snapshot) => {
              const now = snapshot.matches("authenticated")
              if (now && !loggedIn) retryAliasesNow()
              loggedIn = now
            },
            error: () => {},
          })
        }
        if (ref.systemId === "stream") {
          const stream = event.actorRef as unknown as StreamActorRef
          watchStreamActor(stream, st2.routeKey, (e) => log(e.pipe(Effect.annotateLogs("actor", "stream"))))
          stream.subscribe({
            next: (snapshot) => onStreamState(snapshot.matches({ live: "connected" })),
            error: () => {},
          })
        }
      }
      if (event.type === "@xstate.snapshot") watchStates(event, log)
      if (options.inspect === true) logTransition(event)
      options.inspector?.(event)
    }

    supervisor = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const actor = createActor(machine, {
          systemId: "supervisor",
          input: {
            childInput: {
              credential: {
                source: options.credential,
                ...(options.credentialTimings === undefined ? {} : { timings: options.credentialTimings }),
              },
              aliasSync: { refreshIntervalMs: st2.timerUpdateSeconds * 1000 },
              stream: { silenceLimitMs: config.limits.streamSilenceMs },
            },
            authMode: st2.rbacAuth._tag,
            sessionIdleMs: options.sessionIdleMs ?? 10 * 60_000,
            sessionMaxInFlight: options.perUserConcurrency ?? config.limits.perUserConcurrency,
            drainTimeoutMs: options.drainTimeoutMs ?? 10_000,
          },
          inspect,
        })
        // Without an error observer XState rethrows on a timer and crashes Node.
        actor.subscribe({ error: (e) => log(Effect.logError("the supervisor failed", e)) })
        actor.start()
        return actor
      }),
      (actor) =>
        Effect.gen(function* () {
          actor.send({ type: "SHUTDOWN" })
          yield* Effect.async<void>((resume) => {
            if (actor.getSnapshot().status !== "active") return resume(Effect.void)
            const sub = actor.subscribe({
              complete: () => resume(Effect.void),
              error: () => resume(Effect.void),
            })
            return Effect.sync(() => sub.unsubscribe())
          }).pipe(Effect.timeout(`${(options.drainTimeoutMs ?? 10_000) + 2_000} millis`), Effect.ignore)
          const left = inFlight()
          if (left > 0)
            yield* Effect.logWarning(
              `stopping with ${left} command(s) still in flight after the drain timeout; their users got no answer`,
            )
          actor.stop()
          yield* Effect.logInfo("supervisor stopped")
        }),
    )
    const root = supervisor

    // Outbound messages drain (bounded) after the supervisor stopped taking and running commands.
    const outboundIdle = Effect.asVoid(Effect.all(queues.map((q) => q.queue.awaitIdle)))
    yield* Effect.addFinalizer(() => outboundIdle.pipe(Effect.timeout("5 seconds"), Effect.ignore))

    // Commands arrived: what they need and is waiting out a backoff (the credential, the alias
    // load) tries again now instead; the machines ignore this in any other state and space
    // their attempts (`retryNowGap`), so a burst or a stream of commands costs one attempt.
    // The credential first: the alias load it starts then waits for that login.
    const retryNow = () => {
      const credential = child<CredentialActor>("credential")
      if (credential?.getSnapshot().value === "retrying") credential.send({ type: "RETRY_NOW" })
      retryAliasesNow()
    }
    // Commands go straight to their user's live session while the supervisor accepts commands,
    // one COMMANDS per session for a chunk of input (in the order typed); a user without a live
    // session gets one through the supervisor, which spawns it with the first command (or refuses
    // the commands when draining). Same outcome as routing every command through the root, at a
    // transition per session and chunk instead of two per command.
    const liveSession = (key: string): AnyActorRef | undefined => {
      const snapshot = root.getSnapshot()
      const id = snapshot.context.sessions[key]
      const session = id === undefined ? undefined : (snapshot.children as Record<string, AnyActorRef>)[id]
      return session !== undefined && session.getSnapshot().status === "active" ? session : undefined
    }
    const dispatch = (requests: ReadonlyArray<CommandRequest<ChatMessage>>) => {
      retryNow()
      const bySession = new Map<string, Array<CommandRequest<ChatMessage>>>()
      for (const request of requests) {
        const batch = bySession.get(request.sessionKey)
        if (batch === undefined) bySession.set(request.sessionKey, [request])
        else batch.push(request)
      }
      for (const [key, batch] of bySession) {
        if (!accepting(root.getSnapshot())) {
          for (const request of batch) root.send({ type: "COMMAND", request })
          continue
        }
        commands.accepted += batch.length
        let rest: ReadonlyArray<CommandRequest<ChatMessage>> = batch
        let session = liveSession(key)
        if (session === undefined) {
          root.send({ type: "COMMAND", request: rest[0]! })
          rest = rest.slice(1)
          session = liveSession(key)
        }
        if (rest.length === 0) continue
        if (session !== undefined) session.send({ type: "COMMANDS", requests: rest })
        else for (const request of rest) root.send({ type: "COMMAND", request })
      }
    }

    // Intake: chat lines that are commands are dispatched, a chunk at a time; the rest is ignored.
    const ended = yield* Deferred.make<void>()
    let open = queues.length
    let seq = 0
    const intake = yield* Effect.forEach(queues, ({ adapter }) =>
      Effect.forkScoped(
        // Chunk by chunk: a burst of messages is one effect step, not one per message.
        Stream.runForEachChunk(adapter.messages, (messages) =>
          Effect.sync(() => {
            const requests: Array<CommandRequest<ChatMessage>> = []
            for (const message of messages) {
              const parsed = parseCommand(message.text, st2, message.isDirect || message.mentionsBot)
              if (parsed === undefined) continue
              requests.push({
                id: `${adapter.name}/${message.id}/${seq++}`,
                adapter: adapter.name,
                sessionKey: `${adapter.name}:${message.user.id}`,
                command: parsed,
                message,
              })
            }
            if (requests.length > 0) dispatch(requests)
          }),
        ).pipe(
          Effect.ensuring(
            Effect.suspend(() => (--open === 0 ? Deferred.succeed(ended, undefined) : Effect.void)),
          ),
        ),
      ),
    )
    // First to run at shutdown: stop taking messages.
    yield* Effect.addFinalizer(() => Fiber.interruptAll(intake))

    let webUrl: string | undefined
    if (config.web.enabled && config.web.webhookSecret !== undefined) {
      const web = yield* makeWebServer({
        host: config.web.host,
        port: config.web.port,
        webhookSecret: config.web.webhookSecret,
        maxRequestBytes: config.limits.maxRequestBytes,
        deliver: (d) => deliver(d).pipe(Effect.provide(context)),
        health: () => health(root, inFlight()),
      })
      webUrl = web.url
    }

    const commandsIdle = Effect.async<void>((resume) => {
      const idle = () =>
        root.getSnapshot().status !== "active" || HashSet.size(root.getSnapshot().context.busy) === 0
      if (idle()) return resume(Effect.void)
      const sub = root.subscribe({
        next: () => {
          if (idle()) {
            sub.unsubscribe()
            resume(Effect.void)
          }
        },
        complete: () => resume(Effect.void),
        error: () => resume(Effect.void),
      })
      return Effect.sync(() => sub.unsubscribe())
    })

    return {
      supervisor: root,
      commandsIdle,
      commandsInFlight: inFlight,
      inputEnded: Deferred.await(ended),
      pending,
      outboundIdle,
      webUrl,
      deliver: (d: ChatDelivery) => deliver(d).pipe(Effect.provide(context)),
    }
  })

/** `GET /health`: the state of every long-lived child, for operators and probes. */
const health = (root: Actor<SupervisorMachine>, commandsInFlight: number): Record<string, unknown> => {
  const snapshot = root.getSnapshot()
  const states: Record<string, unknown> = {}
  for (const id of ["credential", "aliasSync", "stream"]) {
    states[id] = (
      root.system.get(id) as { getSnapshot(): { value: unknown } } | undefined
    )?.getSnapshot().value
  }
  for (const [id, ref] of Object.entries(snapshot.children)) {
    if (id.startsWith("adapter:"))
      states[id] = (ref as { getSnapshot(): { value: unknown } }).getSnapshot().value
  }
  const up = snapshot.value as { up?: Record<string, unknown> } | string
  return {
    status: snapshot.status === "active" ? "ok" : "stopping",
    supervisor: typeof up === "string" ? up : up.up,
    children: states,
    sessions: Object.keys(snapshot.context.sessions).length,
    commandsInFlight,
  }
}

const accepting = (snapshot: ReturnType<Actor<SupervisorMachine>["getSnapshot"]>): boolean =>
  (snapshot.value as { up?: { lifecycle?: string } }).up?.lifecycle === "accepting"

/** Warnings an operator must see whatever the log level: a restart, a rejected chat credential. */
const watchStates = (
  event: InspectionEvent & { type: "@xstate.snapshot" },
  log: (e: Effect.Effect<void>) => void,
) => {
  const ref = event.actorRef as unknown as { systemId?: string; id: string }
  const value = (event.snapshot as { value?: unknown }).value
  if (ref.systemId === "supervisor") {
    const regions = (value as { up?: Record<string, unknown> } | undefined)?.up
    const type = event.event.type
    if (regions !== undefined && type.startsWith("xstate.error.actor.")) {
      const id = type.slice("xstate.error.actor.".length)
      if (regions[id] === "restarting") {
        const error = (event.event as unknown as { error: unknown }).error
        log(Effect.logError(`${id} failed and is being restarted`, error))
      }
    }
    return
  }
  if (ref.systemId === undefined) return
  if (
    ref.systemId.startsWith("adapter:") &&
    value === "invalidCredentials" &&
    event.event.type === "STATUS"
  ) {
    const status = (event.event as unknown as { status: { reason?: string } }).status
    log(
      Effect.logError(
        `chat adapter ${ref.systemId.slice("adapter:".length)} rejected its credentials (${status.reason ?? "no reason given"}); fix them in stormbot.yaml and restart. The rest of stormbot keeps running.`,
      ),
    )
  }
}
