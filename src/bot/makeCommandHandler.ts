import { Context, Effect, Either, FiberRef, LogLevel } from "effect"
import { type ChatMessage, sourceChannelOf } from "../adapters/ChatAdapter.ts"
import { type AliasIndex, selectHelp } from "../aliases/AliasIndex.ts"
import { RegexWorker } from "../aliases/RegexWorker.ts"
import { SlowResults } from "../aliases/SlowMatch.ts"
import { logUndelivered, queueDelivery } from "../chat/deliverToChat.ts"
import type { ActionAlias } from "../st2/ActionAlias.ts"
import { aliasRef } from "../st2/ActionAlias.ts"
import { St2Client } from "../st2/St2Client.ts"
import { BotCredential, type CredentialUnavailable, type St2Credential } from "../st2/St2Credential.ts"
import type { St2Error } from "../st2/St2Error.ts"
import type { AliasExecutionRequest, AliasExecutionResult } from "../st2/schemas/AliasExecution.ts"
import { AliasRefresh } from "./AliasRefresh.ts"
import { AliasStore } from "./AliasStore.ts"
import { BotSettings, commandPrefix, defaultCommandLimits } from "./BotSettings.ts"
import { ChatAdapters, type RunningAdapter, UnknownAdapter } from "./ChatAdapters.ts"
import type { CommandRequest } from "./CommandRequest.ts"
import { describeFailure } from "./describeFailure.ts"
import { parseHelpQuery } from "./helpQuery.ts"
import { PendingResults, resultKey } from "./PendingResults.ts"
import { quoteCommand } from "./quoteCommand.ts"
import { renderAck } from "./renderAck.ts"
import { renderHelp } from "./renderHelp.ts"
import {
  userCredentialNow,
  withUserCredential,
  withUserCredentialAfter,
  withUserCredentialFrom,
} from "./withUserCredential.ts"

/** How long a command waits for the first alias load before asking StackStorm to match it. */
const firstLoadWait = "5 seconds"

/**
 * The most work one `help --filter` may do over all help strings, in the linear matcher's steps
 * (about 12 ns each): over 10,000 commands a word takes under a million, `.*deploy.*` under five,
 * `(.|.)*!` under ten. Past it, help says the filter is too costly.
 */
export const helpFilterMaxSteps = 10_000_000

/** What to run: an alias, the format (representation) that matched, one command text per execution. */
interface Choice {
  readonly alias: ActionAlias
  readonly format: string
  /** The text posted as `command` for each execution: the whole command, or each occurrence of a `match_multiple` format. */
  readonly commands: ReadonlyArray<string>
}

/**
 * Runs one chat command to its end: help, or match → execute → ack, and calls `done` once when it
 * ended. Every outcome, including every failure, is answered in chat where the command was typed
 * (its thread included); it never throws, so a bad command never hurts the session or the bot.
 */
export type CommandHandler = (request: CommandRequest<ChatMessage>, done: () => void) => void

/**
 * The bot's command handler, services looked up once. `fork` runs the effects it hands off (the
 * rare paths, failures, log lines) on fibers the caller owns.
 *
 * The common path (the alias set is loaded, the command matches one alias locally, the bot's
 * credential is at hand, st2 accepts the execution) is plain code and callbacks: match, POST,
 * queue the ack, `done`. A command is the bot's unit of work, thousands a second in a burst, and
 * a fiber with its effect steps cost more than the rest of this path together. Everything else
 * (help, a remote match, `match_multiple`, a credential being renewed, any failure, a format
 * that needs the worker) continues on a fiber, written as effects.
 *
 * Limits (`BotSettings.limits`): a command over `maxCommandLength` is answered before anything
 * else; formats the linear matcher cannot take run in a `RegexWorker` (owned by the caller's
 * scope) within `matchTimeoutMs`.
 */
export const makeCommandHandler = (fork: (effect: Effect.Effect<void>) => void) =>
  Effect.gen(function* () {
    const settings = yield* BotSettings
    const limits = settings.limits ?? defaultCommandLimits
    // Formats the linear matcher cannot take (back-references) run here, within the time limit.
    const slowMatcher = yield* Effect.acquireRelease(
      Effect.sync(() => new RegexWorker(limits.matchTimeoutMs)),
      (w) => Effect.promise(() => w.close()),
    )
    const services = {
      adapters: yield* ChatAdapters,
      settings,
      store: yield* AliasStore,
      client: yield* St2Client,
      pending: yield* PendingResults,
      refresh: yield* AliasRefresh,
      credential: yield* BotCredential,
      fork,
      infoLogs: LogLevel.lessThanEqual(yield* FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.Info),
      limits,
      slowMatcher,
    }
    // The rare paths (help, remote match) are written against the services; they get them here.
    const context = Context.make(ChatAdapters, services.adapters).pipe(
      Context.add(BotSettings, services.settings),
      Context.add(AliasStore, services.store),
      Context.add(St2Client, services.client),
      Context.add(PendingResults, services.pending),
      Context.add(AliasRefresh, services.refresh),
      Context.add(BotCredential, services.credential),
    )
    const provide = <A, E>(effect: Effect.Effect<A, E, CommandServices>): Effect.Effect<A, E> =>
      Effect.provide(effect, context)
    const prefix = commandPrefix(services.settings)
    const adapterNamed = new Map(services.adapters.all.map((a) => [a.adapter.name, a]))

    /** The effect path for a command: everything but the common case. */
    const slowly = (
      request: CommandRequest<ChatMessage>,
      running: RunningAdapter,
      reply: Reply,
    ): Effect.Effect<void> =>
      Effect.suspend(() => {
        const command = request.command
        if (command._tag === "Help") return provide(help(request, command.args, prefix, reply))
        return Effect.flatMap(provide(choose(services, request, command.command, prefix, reply)), (choice) =>
          choice === undefined ? Effect.void : execute(services, request, running, choice, reply),
        )
      })

    return ((request, done) => {
      let handedOff = false
      const hand = (effect: Effect.Effect<void, unknown>) => {
        handedOff = true
        fork(guard(effect, request).pipe(Effect.ensuring(Effect.sync(done))))
      }
      try {
        const running = adapterNamed.get(request.adapter)
        if (running === undefined) return hand(Effect.fail(new UnknownAdapter({ name: request.adapter })))
        const reply = replyTo(services, running, request)
        const command = request.command
        // Refused before any parsing or matching: the length bounds everything that follows.
        const length = command._tag === "Help" ? command.args.length : command.command.length
        if (length > limits.maxCommandLength) {
          reply.now(tooLong(length, limits.maxCommandLength))
          return done()
        }
        // "defer": a format the linear matcher cannot take makes this `NeedsWorker`, for `slowly`.
        const local =
          command._tag === "Help" ? undefined : services.store.peek()?.index.match(command.command, "defer")
        const credential = userCredentialNow(services.credential, request)
        if (local?._tag === "Matched" && credential !== undefined) {
          const [only, ...others] = local.commands
          if (only !== undefined && others.length === 0)
            return executeNow(
              services,
              request,
              running,
              { alias: local.alias, format: local.format, commands: [only] },
              credential,
              reply,
              hand,
              done,
            )
        }
        return hand(slowly(request, running, reply))
      } catch (e) {
        // A bug on the plain path: logged, and the command ends here.
        if (!handedOff) hand(Effect.die(e))
      }
    }) satisfies CommandHandler
  })

/** Logs what escaped a command (a bug), so nothing reaches the caller. */
const guard = (effect: Effect.Effect<void, unknown>, request: CommandRequest): Effect.Effect<void> =>
  effect.pipe(
    Effect.catchAllCause((cause) =>
      Effect.logError("command failed unexpectedly").pipe(Effect.zipRight(Effect.logDebug(cause))),
    ),
    Effect.annotateLogs({ adapter: request.adapter, request: request.id }),
  )

type CommandServices =
  | ChatAdapters
  | BotSettings
  | AliasStore
  | St2Client
  | PendingResults
  | AliasRefresh
  | BotCredential

interface Services {
  readonly settings: typeof BotSettings.Service
  readonly limits: typeof defaultCommandLimits
  readonly slowMatcher: RegexWorker
  readonly client: typeof St2Client.Service
  readonly pending: typeof PendingResults.Service
  readonly credential: typeof BotCredential.Service
  readonly fork: (effect: Effect.Effect<void>) => void
  /** Whether `Info` lines are logged (the level is fixed for the bot's life). */
  readonly infoLogs: boolean
}

/** Answers in chat: `now` queues at once (a plain call); `effect` is the same as an effect. */
interface Reply {
  readonly now: (text: string, extra?: Readonly<Record<string, unknown>> | null) => void
  readonly effect: (text: string, extra?: Readonly<Record<string, unknown>> | null) => Effect.Effect<void>
}

/**
 * Answers in the room (and thread) the command came from, or privately for a direct message.
 * Queues the answer at once; only an undeliverable one costs an effect (its log line).
 */
const replyTo = (
  services: Services,
  running: RunningAdapter,
  request: CommandRequest<ChatMessage>,
): Reply => {
  const { adapter, queue } = running
  const message = request.message
  const now: Reply["now"] = (text, extra) => {
    const plan = queueDelivery(adapter, queue, {
      message: text,
      channel: sourceChannelOf(adapter, message),
      user: adapter.userToSt2(message.user),
      whisper: false,
      extra: extra ?? undefined,
      context: adapter.sourceContext(message),
    })
    if (plan._tag === "Undeliverable")
      services.fork(logUndelivered(adapter.name, plan).pipe(Effect.annotateLogs({ request: request.id })))
  }
  return { now, effect: (text, extra) => Effect.sync(() => now(text, extra)) }
}

/** `limits.max_command_length` exceeded: said before anything is parsed or matched. */
export const tooLong = (length: number, max: number): string =>
  `That command is ${length} characters long; the limit is ${max} (limits.max_command_length). Please shorten it.`

const filterTooCostly =
  "That filter takes too much work to apply to every command; use a simpler one, or narrow the list with --pack."

const help = (request: CommandRequest, args: string, prefix: string, reply: Reply) =>
  Effect.gen(function* () {
    const query = parseHelpQuery(args)
    if (Either.isLeft(query)) return yield* reply.effect(`${prefix.trim()}help: ${query.left}`)
    const set = yield* (yield* AliasStore).awaitLoaded(firstLoadWait)
    const limit = { maxSteps: helpFilterMaxSteps }
    if (set !== undefined) {
      const result = set.index.help(query.right, limit)
      return yield* reply.effect(
        result.incomplete ? filterTooCostly : renderHelp(result, query.right, prefix),
      )
    }
    // Before the first alias load: StackStorm's list, filtered and paged here (st2 would run the
    // user's pattern in Python's backtracking engine).
    const client = yield* St2Client
    const unfiltered = query.right.pack === undefined ? {} : { pack: query.right.pack }
    const remote = yield* withUserCredential(request, (c) => client.aliasHelp(c, unfiltered)).pipe(
      Effect.either,
    )
    if (Either.isLeft(remote)) return yield* reply.effect(describeFailure(remote.left))
    const result = selectHelp(remote.right.helpstrings, query.right, limit)
    yield* reply.effect(result.incomplete ? filterTooCostly : renderHelp(result, query.right, prefix))
  })

/**
 * `index.match`, running the jobs it hands back (formats the linear matcher cannot take) in the
 * worker until it can answer; `TimedOut` when one ran out of time.
 */
const matchLocally = (services: Services, index: AliasIndex, text: string) =>
  Effect.gen(function* () {
    const results = new SlowResults()
    for (;;) {
      const m = index.match(text, results)
      if (m._tag !== "NeedsWorker") return m
      for (const job of m.jobs) results.set(job, yield* Effect.promise(() => services.slowMatcher.run(job)))
    }
  })

/** What the user reads when a format ran out of time (`limits.match_timeout`). */
export const matchTimedOut = (ms: number, alias: string): string =>
  `That command took too long to match (over ${ms} ms against a format of ${alias}; limits.match_timeout); ` +
  `try a shorter or simpler command, or ask an administrator to simplify the formats of ${alias}.`

/**
 * Picks the alias exactly as st2 would, locally; when nothing matches locally, asks st2's
 * `/actionalias/match` before saying "not found" (an alias added a second ago must work, and a
 * hit triggers a refresh). Answers the user and returns `undefined` when there is nothing to run.
 */
const choose = (services: Services, request: CommandRequest, text: string, prefix: string, reply: Reply) =>
  Effect.gen(function* () {
    // Right after start, wait briefly for the first load rather than matching remotely (st2's
    // match answers one execution, so a match_multiple command would lose its other occurrences).
    const set = yield* (yield* AliasStore).awaitLoaded(firstLoadWait)
    if (set !== undefined) {
      const local = yield* matchLocally(services, set.index, text)
      if (local._tag === "TimedOut") {
        yield* Effect.logWarning("matching a command timed out").pipe(
          Effect.annotateLogs({
            alias: local.alias,
            format: local.format,
            timeoutMs: services.limits.matchTimeoutMs,
          }),
        )
        yield* reply.effect(matchTimedOut(services.limits.matchTimeoutMs, local.alias))
        return undefined
      }
      if (local._tag === "Matched") {
        return {
          alias: local.alias,
          format: local.format,
          commands: local.commands,
        } satisfies Choice
      }
      if (local._tag === "Ambiguous") {
        const names = [...new Set(local.candidates.map((c) => `${aliasRef(c.alias)} ("${c.format}")`))]
        yield* reply.effect(
          `${quoteCommand(text)} matches more than one command: ${names.join(", ")}. Please be more specific.`,
        )
        return undefined
      }
    }
    const client = yield* St2Client
    const remote = yield* withUserCredential(request, (c) => client.matchAlias(c, text)).pipe(Effect.either)
    if (Either.isRight(remote)) {
      yield* Effect.logInfo(
        "StackStorm matched a command the local alias set did not; refreshing aliases",
      ).pipe(Effect.annotateLogs({ alias: aliasRef(remote.right.actionalias) }))
      if (set !== undefined) yield* (yield* AliasRefresh).request
      return {
        alias: remote.right.actionalias,
        format: remote.right.representation,
        commands: [text],
      } satisfies Choice
    }
    const error = remote.left
    if (error._tag === "St2BadRequest" && /matched no patterns/.test(error.faultstring)) {
      // Only to word the answer: a format that would need the worker is not waited for.
      const disabled = set?.disabled.match(text, "defer")
      if (disabled?._tag === "Matched") {
        yield* reply.effect(
          `The command "${aliasRef(disabled.alias)}" is disabled in StackStorm; ask an administrator to enable it.`,
        )
        return undefined
      }
      const suggestions = set?.index.suggest(text, 3) ?? []
      const hint =
        suggestions.length > 0 ? ` Did you mean: ${suggestions.map((s) => `${prefix}${s}`).join(" | ")}?` : ""
      yield* reply.effect(
        `Sorry, I don't know ${quoteCommand(text)}.${hint} Type ${prefix.trim()}help to list commands.`,
      )
      return undefined
    }
    if (error._tag === "St2BadRequest" && /matched more than 1/.test(error.faultstring)) {
      yield* reply.effect(`${quoteCommand(text)} matches more than one command. Please be more specific.`)
      return undefined
    }
    yield* reply.effect(describeFailure(error))
    return undefined
  })

/** One execution of `choice` for `request`: its POST body, and what its outcome does in chat. */
const executionOf = (
  services: Services,
  request: CommandRequest<ChatMessage>,
  { adapter }: RunningAdapter,
  choice: Choice,
  reply: Reply,
) => {
  const { pending, settings } = services
  const message = request.message
  const key = resultKey(adapter.name, message.id)
  const expectsResult = choice.alias.result?.enabled !== false
  const ref = aliasRef(choice.alias)
  return {
    /** Counts the result as owed: before the POST (a fast result may arrive before the answer). */
    expect: () => {
      if (expectsResult) pending.expect(key, 1)
    },
    body: (command: string): AliasExecutionRequest => ({
      name: choice.alias.name,
      format: choice.format,
      command,
      user: adapter.userToSt2(message.user),
      source_channel: sourceChannelOf(adapter, message),
      source_context: adapter.sourceContext(message),
      notification_route: settings.routeKey,
    }),
    /** st2 accepted it: the ack, at once. */
    acked: (result: AliasExecutionResult) => {
      if (expectsResult) pending.started(key, result.execution)
      const ack = renderAck(choice.alias, result)
      if (ack !== undefined) reply.now(ack, result.extra)
      if (services.infoLogs)
        services.fork(
          Effect.logInfo("execution started").pipe(
            Effect.annotateLogs({
              adapter: request.adapter,
              request: request.id,
              alias: ref,
              execution: result.execution.id,
            }),
          ),
        )
    },
    /** It failed: the result is no longer owed, and the user is told why. */
    failed: (error: St2Error | CredentialUnavailable) => {
      if (expectsResult) pending.release(key, 1)
      return Effect.logWarning("alias execution failed").pipe(
        Effect.annotateLogs({ alias: ref, error: error._tag }),
        Effect.zipRight(reply.effect(describeFailure(error))),
      )
    },
  }
}

/**
 * The common case as plain calls: one execution, with the credential at hand. A failure (a 401
 * included: renew and retry once, as `withUserCredential` does) continues on a fiber (`hand`).
 */
const executeNow = (
  services: Services,
  request: CommandRequest<ChatMessage>,
  running: RunningAdapter,
  choice: Choice & { readonly commands: readonly [string] },
  credential: St2Credential,
  reply: Reply,
  hand: (effect: Effect.Effect<void, unknown>) => void,
  done: () => void,
): void => {
  const execution = executionOf(services, request, running, choice, reply)
  const body = execution.body(choice.commands[0])
  execution.expect()
  services.client.executeAliasNow(credential, body, (outcome) => {
    if (Either.isLeft(outcome))
      return hand(
        withUserCredentialAfter(services.credential, request, credential, outcome.left, (c) =>
          services.client.executeAlias(c, body),
        ).pipe(
          Effect.matchEffect({
            onFailure: execution.failed,
            onSuccess: (result) => Effect.sync(() => execution.acked(result)),
          }),
        ),
      )
    try {
      execution.acked(outcome.right)
    } catch (e) {
      return hand(Effect.die(e))
    }
    done()
  })
}

/** One `POST /aliasexecution` per execution, each acked; results are expected before posting. */
const execute = (
  services: Services,
  request: CommandRequest<ChatMessage>,
  running: RunningAdapter,
  choice: Choice,
  reply: Reply,
): Effect.Effect<void> => {
  const execution = executionOf(services, request, running, choice, reply)
  const one = (command: string): Effect.Effect<boolean> =>
    Effect.suspend(() => {
      execution.expect()
      return withUserCredentialFrom(services.credential, request, (c) =>
        services.client.executeAlias(c, execution.body(command)),
      ).pipe(
        Effect.matchEffect({
          onFailure: (error) => Effect.as(execution.failed(error), false),
          onSuccess: (result) =>
            Effect.sync(() => {
              execution.acked(result)
              return true
            }),
        }),
      )
    })
  const [first, ...rest] = choice.commands
  if (first === undefined) return Effect.void
  if (rest.length === 0) return Effect.asVoid(one(first))
  // match_multiple: in order, stopping at the first failure (answered in chat).
  return Effect.gen(function* () {
    for (const command of choice.commands) if (!(yield* one(command))) return
  })
}
