import { Effect, Either, Layer, Logger, Redacted, Runtime, type Scope } from "effect"
import { describe, expect, it } from "vitest"
import { AliasRefresh } from "../../src/bot/AliasRefresh.ts"
import { AliasStore } from "../../src/bot/AliasStore.ts"
import { BotSettings } from "../../src/bot/BotSettings.ts"
import { ChatAdapters } from "../../src/bot/ChatAdapters.ts"
import type { CommandRequest } from "../../src/bot/CommandRequest.ts"
import { makeCommandHandler } from "../../src/bot/makeCommandHandler.ts"
import { PendingResults } from "../../src/bot/PendingResults.ts"
import { parseCommand } from "../../src/bot/parseCommand.ts"
import type { ChatMessage } from "../../src/adapters/ChatAdapter.ts"
import { makeOutboundQueue } from "../../src/chat/OutboundQueue.ts"
import { defaultAliases } from "../../src/sandbox/sandboxFiles.ts"
import { St2Client } from "../../src/st2/St2Client.ts"
import { BotCredential, type St2Credential } from "../../src/st2/St2Credential.ts"
import { St2Unauthorized, St2Unavailable, type St2Error } from "../../src/st2/St2Error.ts"
import type { AliasExecutionResult } from "../../src/st2/schemas/AliasExecution.ts"
import { makeFakeChatAdapter } from "../fakes/FakeChatAdapter.ts"

const key = (n: number): St2Credential => ({ _tag: "ApiKey", key: Redacted.make(`key-${n}`) })
const keyOf = (c: St2Credential) => (c._tag === "ApiKey" ? Redacted.value(c.key) : "token")

const accepted = (id: string): AliasExecutionResult =>
  ({
    execution: { id, status: "requested", action: { ref: "core.local" } },
    actionalias: { ack: { enabled: true } },
    message: `started ${id}`,
  }) as unknown as AliasExecutionResult

/**
 * st2's answers in order (one per POST, plain path or effect path alike); records the credential
 * of each POST and which path made it.
 */
const scriptedClient = (answers: Array<Either.Either<AliasExecutionResult, St2Error>>) => {
  const posts: Array<{ readonly via: "now" | "effect"; readonly key: string }> = []
  const next = () => answers.shift() ?? Either.left(unavailable())
  const client = {
    executeAliasNow: (credential: St2Credential, _body: unknown, done: (o: unknown) => void) => {
      posts.push({ via: "now", key: keyOf(credential) })
      const answer = next()
      setImmediate(() => done(answer))
      return () => {}
    },
    executeAlias: (credential: St2Credential) =>
      Effect.suspend(() => {
        posts.push({ via: "effect", key: keyOf(credential) })
        return next()
      }),
  } as unknown as typeof St2Client.Service
  return { client, posts }
}
const unavailable = () =>
  new St2Unavailable({ method: "POST", path: "/api/v1/aliasexecution", cause: "ECONNREFUSED: connect" })
const expired = () =>
  new St2Unauthorized({
    method: "POST",
    path: "/api/v1/aliasexecution",
    status: 401,
    faultstring: "Unauthorized - Token has expired.",
    reason: "expired",
  })

/** The handler over fakes; `run` handles one command and resolves when it said it ended. */
const setup = (client: typeof St2Client.Service, options: { readonly brokenContext?: boolean } = {}) =>
  Effect.gen(function* () {
    const adapter = makeFakeChatAdapter()
    if (options.brokenContext === true)
      Object.assign(adapter, {
        sourceContext: () => {
          throw new Error("a bug in the adapter")
        },
      })
    const queue = yield* makeOutboundQueue({})
    let current = 1
    const reports: Array<string> = []
    const logs: Array<string> = []
    const logger = Logger.make(({ message }) => logs.push(String(message)))
    const layer = Layer.mergeAll(
      AliasStore.layer,
      PendingResults.layer,
      Layer.succeed(St2Client, client),
      Layer.succeed(BotCredential, {
        get: Effect.sync(() => key(current)),
        peek: () => key(current),
        reportUnauthorized: (credential, error) =>
          Effect.sync(() => {
            reports.push(`${keyOf(credential)}: ${error.reason}`)
            current += 1
          }),
      }),
      Layer.succeed(BotSettings, { botPrefix: "!", pluginPrefix: "st2", routeKey: "chatops" }),
      Layer.succeed(ChatAdapters, { all: [{ adapter, queue }] }),
      Layer.succeed(AliasRefresh, { request: Effect.void }),
    )
    const context = yield* Layer.build(layer)
    yield* Effect.flatMap(AliasStore, (s) => s.publish(defaultAliases())).pipe(Effect.provide(context))
    const pending = yield* PendingResults.pipe(Effect.provide(context))
    const runtime = yield* Effect.runtime<never>()
    const fork = Runtime.runFork(runtime)
    const handle = yield* makeCommandHandler((effect) => {
      fork(effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger))))
    }).pipe(Effect.provide(context))
    let seq = 0
    const run = (text: string) =>
      Effect.async<number>((resume) => {
        const message: ChatMessage = adapter.say("alice", "ops", text)
        let calls = 0
        handle(
          {
            id: `fake/${message.id}/${seq++}`,
            adapter: "fake",
            sessionKey: "fake:alice",
            command: parseCommand(text, { botPrefix: "!", pluginPrefix: "st2" }, false)!,
            message,
          } satisfies CommandRequest<ChatMessage>,
          () => {
            calls += 1
            // Let anything that would (wrongly) call `done` again do so before answering.
            setTimeout(() => resume(Effect.succeed(calls)), 20)
          },
        )
      }).pipe(Effect.zipLeft(queue.awaitIdle))
    return { adapter, run, reports, logs, pending }
  })

const scoped = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(effect))

describe("makeCommandHandler", () => {
  it("runs the common case on the plain path: one POST with the credential at hand, the ack, done once", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([Either.right(accepted("e1"))])
        const bot = yield* setup(st2.client)
        expect(yield* bot.run("!st2 run date on localhost")).toBe(1)
        expect(st2.posts).toEqual([{ via: "now", key: "key-1" }])
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual(["started e1"])
        // The result is still owed: it comes with the announcement.
        expect(yield* bot.pending.outstanding).toBe(1)
      }),
    ))

  it("after a 401 on the plain path, reports it and retries once with the renewed credential", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([Either.left(expired()), Either.right(accepted("e2"))])
        const bot = yield* setup(st2.client)
        expect(yield* bot.run("!st2 run date on localhost")).toBe(1)
        expect(st2.posts).toEqual([
          { via: "now", key: "key-1" },
          { via: "effect", key: "key-2" },
        ])
        expect(bot.reports).toEqual(["key-1: expired"])
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual(["started e2"])
        expect(yield* bot.pending.outstanding).toBe(1)
      }),
    ))

  it("answers a failed POST in chat and no longer expects its result", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([Either.left(unavailable())])
        const bot = yield* setup(st2.client)
        expect(yield* bot.run("!st2 run date on localhost")).toBe(1)
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual([
          "StackStorm is not reachable right now; your command was not run.",
        ])
        expect(yield* bot.pending.outstanding).toBe(0)
        expect(bot.logs).toContain("alias execution failed")
      }),
    ))

  it("a bug on the plain path is logged and the command still ends, once", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([Either.right(accepted("e3"))])
        const bot = yield* setup(st2.client, { brokenContext: true })
        expect(yield* bot.run("!st2 run date on localhost")).toBe(1)
        expect(bot.logs).toContain("command failed unexpectedly")
        // It failed before the POST: nothing was sent to StackStorm.
        expect(st2.posts).toEqual([])
      }),
    ))
})
