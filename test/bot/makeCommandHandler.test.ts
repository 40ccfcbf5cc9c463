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
import type { ActionAlias } from "../../src/st2/ActionAlias.ts"
import { St2BadRequest, St2Unauthorized, St2Unavailable, type St2Error } from "../../src/st2/St2Error.ts"
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
  /** The `command` of each POST, in order. */
  const commands: Array<string> = []
  const asked: Array<string> = []
  const next = () => answers.shift() ?? Either.left(unavailable())
  const client = {
    // StackStorm knows nothing the local alias set does not: "matched no patterns".
    matchAlias: (_credential: St2Credential, command: string) =>
      Effect.suspend(() => {
        asked.push(command)
        return Effect.fail(
          new St2BadRequest({
            method: "POST",
            path: "/api/v1/actionalias/match",
            status: 400,
            faultstring: `Command '${command}' matched no patterns`,
          }),
        )
      }),
    executeAliasNow: (
      credential: St2Credential,
      body: { readonly command: string },
      done: (o: unknown) => void,
    ) => {
      posts.push({ via: "now", key: keyOf(credential) })
      commands.push(body.command)
      const answer = next()
      setImmediate(() => done(answer))
      return () => {}
    },
    executeAlias: (credential: St2Credential, body: { readonly command: string }) =>
      Effect.suspend(() => {
        posts.push({ via: "effect", key: keyOf(credential) })
        commands.push(body.command)
        return next()
      }),
  } as unknown as typeof St2Client.Service
  return { client, posts, commands, asked }
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
const setup = (
  client: typeof St2Client.Service,
  options: {
    readonly brokenContext?: boolean
    readonly aliases?: ReadonlyArray<ActionAlias>
    readonly limits?: { readonly maxCommandLength: number; readonly matchTimeoutMs: number }
  } = {},
) =>
  Effect.gen(function* () {
    // Long enough that no answer here is split into parts.
    const adapter = makeFakeChatAdapter({ maxMessageLength: 1000 })
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
    const annotations: Array<Record<string, unknown>> = []
    const logger = Logger.make(({ message, annotations: a }) => {
      logs.push(String(message))
      annotations.push(Object.fromEntries(a))
    })
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
      Layer.succeed(BotSettings, {
        botPrefix: "!",
        pluginPrefix: "st2",
        routeKey: "chatops",
        ...(options.limits === undefined ? {} : { limits: options.limits }),
      }),
      Layer.succeed(ChatAdapters, { all: [{ adapter, queue }] }),
      Layer.succeed(AliasRefresh, { request: Effect.void }),
    )
    const context = yield* Layer.build(layer)
    yield* Effect.flatMap(AliasStore, (s) => s.publish(options.aliases ?? defaultAliases())).pipe(
      Effect.provide(context),
    )
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
    return { adapter, run, reports, logs, annotations, pending }
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

const attackAliases: ReadonlyArray<ActionAlias> = [
  { name: "say", pack: "chat", action_ref: "chat.say", formats: ["say {{ text }}"] },
  { name: "run", pack: "core", action_ref: "core.local", formats: ["run {{cmd}}"] },
  { name: "five", pack: "ops", action_ref: "ops.five", formats: ["{{a}} {{b}} {{c}} {{d}} {{e}} done"] },
  { name: "echo", pack: "ops", action_ref: "ops.echo", formats: [String.raw`(?P<w>\w+) again (?P=w)`] },
  // A back-reference after a nested repeat: exponential in the JavaScript engine.
  { name: "slow", pack: "ops", action_ref: "ops.slow", formats: ["(?P<x>a*)*(?P=x)c"] },
]

/**
 * The inputs an attacker measured freezing the whole bot (#18), or larger ones of the same shape
 * (within the default length limit), through the real handler: each is answered. On the old
 * code each of these blocked the bot for minutes to days.
 */
describe("makeCommandHandler: hostile commands are answered (#18)", () => {
  it("`!st2 say` + 30x `a=b=c=d` + ` X` (exponential in the trailing-pairs regex) runs `say` with the text", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([Either.right(accepted("e1"))])
        const bot = yield* setup(st2.client, { aliases: attackAliases })
        const text = `say ${Array(30).fill("a=b=c=d").join(" ")} X`
        expect(yield* bot.run(`!st2 ${text}`)).toBe(1)
        expect(st2.commands).toEqual([text])
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual(["started e1"])
      }),
    ))

  it("`!st2 run x` + 4,000 spaces + `y` (cubic: 21 s) runs `run`; 40,000 spaces is refused by length", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([Either.right(accepted("e2"))])
        const bot = yield* setup(st2.client, { aliases: attackAliases })
        const text = `run x${" ".repeat(4000)}y`
        expect(yield* bot.run(`!st2 ${text}`)).toBe(1)
        expect(st2.commands).toEqual([text])
        expect(yield* bot.run(`!st2 run x${" ".repeat(40_000)}y`)).toBe(1)
        expect(st2.commands).toHaveLength(1)
        expect(bot.adapter.outbound.map((m) => m.text)[1]).toMatch(/^That command is 40006 characters long/)
      }),
    ))

  for (const [finding, text] of [
    ["26x `a=b=c` + ` X` (> 60 s)", `${Array(26).fill("a=b=c").join(" ")} X`],
    // `done` is there (so the format is tried), but not at the end.
    ["five placeholders over 4,000 chars of `w w w` (days)", `${"w ".repeat(2000)}done x`],
  ] as const)
    it(`${finding}: not known`, () =>
      scoped(
        Effect.gen(function* () {
          const st2 = scriptedClient([])
          const bot = yield* setup(st2.client, { aliases: attackAliases })
          expect(yield* bot.run(`!st2 ${text}`)).toBe(1)
          expect(st2.posts).toEqual([])
          // Nothing matched locally, so StackStorm was asked (it knows no more here).
          expect(st2.asked).toEqual([text])
          const answers = bot.adapter.outbound.map((m) => m.text)
          expect(answers).toHaveLength(1)
          expect(answers[0]).toMatch(/^Sorry, I don't know /)
        }),
      ))

  it("`!st2help --filter (.|.)*!` (the user's regex in-process: > 90 s) is answered from the linear matcher", () =>
    scoped(
      Effect.gen(function* () {
        const bot = yield* setup(scriptedClient([]).client, { aliases: attackAliases })
        yield* bot.run("!st2help --filter (.|.)*!")
        yield* bot.run("!st2help --filter (.|.)*done")
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual([
          `No commands for filter "(.|.)*!".`,
          ["Commands (1):", "ops:", "  !st2 {{a}} {{b}} {{c}} {{d}} {{e}} done"].join("\n"),
        ])
      }),
    ))

  it("a filter that cannot be used is answered: a back-reference, a syntax error, too long", () =>
    scoped(
      Effect.gen(function* () {
        const bot = yield* setup(scriptedClient([]).client, { aliases: attackAliases })
        yield* bot.run(String.raw`!st2help --filter "(a)\1"`)
        yield* bot.run("!st2help --filter (")
        yield* bot.run(`!st2help --filter ${"a".repeat(201)}`)
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual([
          String.raw`!st2help: --filter "(a)\1" cannot be used: it uses a back-reference`,
          `!st2help: --filter "(" is not a valid regular expression: missing ), unterminated subpattern`,
          "!st2help: --filter is 201 characters long; the limit is 200",
        ])
      }),
    ))
})

describe("makeCommandHandler: limits.max_command_length", () => {
  it("a longer command is answered with its length and the limit, without matching or posting", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([Either.right(accepted("e1"))])
        const bot = yield* setup(st2.client, {
          aliases: attackAliases,
          limits: { maxCommandLength: 100, matchTimeoutMs: 250 },
        })
        expect(yield* bot.run(`!st2 say ${"x".repeat(200)}`)).toBe(1)
        expect(yield* bot.run(`!st2help --filter ${"x".repeat(120)}`)).toBe(1)
        expect(st2.posts).toEqual([])
        expect(st2.asked).toEqual([])
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual([
          "That command is 204 characters long; the limit is 100 (limits.max_command_length). Please shorten it.",
          "That command is 129 characters long; the limit is 100 (limits.max_command_length). Please shorten it.",
        ])
        // At the limit, it runs.
        expect(yield* bot.run(`!st2 say ${"x".repeat(96)}`)).toBe(1)
        expect(st2.commands).toEqual([`say ${"x".repeat(96)}`])
      }),
    ))

  it("defaults to 4,096 characters", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([])
        const bot = yield* setup(st2.client, { aliases: attackAliases })
        yield* bot.run(`!st2 say ${"x".repeat(4093)}`)
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual([
          "That command is 4097 characters long; the limit is 4096 (limits.max_command_length). Please shorten it.",
        ])
      }),
    ))
})

describe("makeCommandHandler: formats with back-references run in a worker, within limits.match_timeout", () => {
  it("a quick one matches there and runs", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([Either.right(accepted("e5"))])
        const bot = yield* setup(st2.client, { aliases: attackAliases })
        expect(yield* bot.run("!st2 hello again hello")).toBe(1)
        expect(st2.commands).toEqual(["hello again hello"])
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual(["started e5"])
      }),
    ))

  it("one that runs away is stopped: the user is told, a log line names the alias and format", () =>
    scoped(
      Effect.gen(function* () {
        const st2 = scriptedClient([])
        const bot = yield* setup(st2.client, {
          aliases: attackAliases,
          limits: { maxCommandLength: 4096, matchTimeoutMs: 100 },
        })
        // `(?P<x>a*)*(?P=x)c` on 40 a's, a `b`, a `c`: hours in the JavaScript engine.
        expect(yield* bot.run(`!st2 ${"a".repeat(40)}b c`)).toBe(1)
        expect(st2.posts).toEqual([])
        expect(st2.asked).toEqual([])
        expect(bot.adapter.outbound.map((m) => m.text)).toEqual([
          "That command took too long to match (over 100 ms against a format of ops.slow; limits.match_timeout); " +
            "try a shorter or simpler command, or ask an administrator to simplify the formats of ops.slow.",
        ])
        const at = bot.logs.indexOf("matching a command timed out")
        expect(at).toBeGreaterThanOrEqual(0)
        expect(bot.annotations[at]).toMatchObject({
          alias: "ops.slow",
          format: "(?P<x>a*)*(?P=x)c",
          timeoutMs: 100,
        })
        // The worker was replaced: the next command that needs it still works.
        const again = yield* bot.run("!st2 hi again hi")
        expect(again).toBe(1)
        expect(st2.asked).toEqual([])
      }),
    ))
})
