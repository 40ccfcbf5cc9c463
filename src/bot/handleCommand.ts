import { Context, Effect, Either } from "effect"
import { type ChatMessage, sourceChannelOf } from "../adapters/ChatAdapter.ts"
import { deliverToChat } from "../chat/deliverToChat.ts"
import type { ActionAlias } from "../st2/ActionAlias.ts"
import { aliasRef } from "../st2/ActionAlias.ts"
import { St2Client } from "../st2/St2Client.ts"
import { BotCredential } from "../st2/St2Credential.ts"
import { AliasRefresh } from "./AliasRefresh.ts"
import { AliasStore } from "./AliasStore.ts"
import { BotSettings, commandPrefix } from "./BotSettings.ts"
import { ChatAdapters, type RunningAdapter, UnknownAdapter } from "./ChatAdapters.ts"
import type { CommandRequest } from "./CommandRequest.ts"
import { describeFailure } from "./describeFailure.ts"
import { parseHelpQuery } from "./helpQuery.ts"
import { PendingResults, resultKey } from "./PendingResults.ts"
import { quoteCommand } from "./quoteCommand.ts"
import { renderAck } from "./renderAck.ts"
import { renderHelp } from "./renderHelp.ts"
import { withUserCredential, withUserCredentialFrom } from "./withUserCredential.ts"

/** How long a command waits for the first alias load before asking StackStorm to match it. */
const firstLoadWait = "5 seconds"

/** What to run: an alias, the format (representation) that matched, one command text per execution. */
interface Choice {
  readonly alias: ActionAlias
  readonly format: string
  /** The text posted as `command` for each execution: the whole command, or each occurrence of a `match_multiple` format. */
  readonly commands: ReadonlyArray<string>
}

/**
 * Runs one chat command to its end: help, or match → execute → ack. Every outcome, including
 * every failure, is answered in chat where the command was typed (its thread included); this
 * effect never fails, so a bad command never hurts the session or the bot.
 */
export const handleCommand = (request: CommandRequest<ChatMessage>) =>
  Effect.flatMap(makeCommandHandler, (handle) => handle(request))

/**
 * `handleCommand` with its services looked up once: the bot builds one handler and runs every
 * command through it. The common path (a local match, one execution, an ack) takes a handful of
 * effect steps; a command is the bot's unit of work, thousands a second in a burst.
 */
export const makeCommandHandler = Effect.gen(function* () {
  const services = {
    adapters: yield* ChatAdapters,
    settings: yield* BotSettings,
    store: yield* AliasStore,
    client: yield* St2Client,
    pending: yield* PendingResults,
    refresh: yield* AliasRefresh,
    credential: yield* BotCredential,
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
  return (request: CommandRequest<ChatMessage>): Effect.Effect<void> => {
    const running = services.adapters.all.find((a) => a.adapter.name === request.adapter)
    const body: Effect.Effect<void, UnknownAdapter> =
      running === undefined
        ? Effect.fail(new UnknownAdapter({ name: request.adapter }))
        : Effect.suspend(() => {
            const reply = replyTo(running, request.message)
            const command = request.command
            if (command._tag === "Help") return provide(help(request, command.args, prefix, reply))
            // The common case: the alias set is loaded and the command matches one alias locally.
            const local = services.store.peek()?.index.match(command.command)
            if (local?._tag === "Matched")
              return execute(
                services,
                request,
                running,
                { alias: local.alias, format: local.format, commands: local.commands },
                reply,
              )
            return Effect.flatMap(provide(choose(request, command.command, prefix, reply)), (choice) =>
              choice === undefined ? Effect.void : execute(services, request, running, choice, reply),
            )
          })
    return body.pipe(
      Effect.catchAllCause((cause) =>
        Effect.logError("command failed unexpectedly").pipe(Effect.zipRight(Effect.logDebug(cause))),
      ),
      Effect.annotateLogs({ adapter: request.adapter, request: request.id }),
    )
  }
})

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
  readonly client: typeof St2Client.Service
  readonly pending: typeof PendingResults.Service
  readonly credential: typeof BotCredential.Service
}

type Reply = (text: string, extra?: Readonly<Record<string, unknown>> | null) => Effect.Effect<void>

/** Answers in the room (and thread) the command came from, or privately for a direct message. */
const replyTo =
  ({ adapter, queue }: RunningAdapter, message: ChatMessage): Reply =>
  (text, extra) =>
    Effect.asVoid(
      deliverToChat(adapter, queue, {
        message: text,
        channel: sourceChannelOf(adapter, message),
        user: adapter.userToSt2(message.user),
        whisper: false,
        extra: extra ?? undefined,
        context: adapter.sourceContext(message),
      }),
    )

const help = (request: CommandRequest, args: string, prefix: string, reply: Reply) =>
  Effect.gen(function* () {
    const query = parseHelpQuery(args)
    if (Either.isLeft(query)) return yield* reply(`${prefix.trim()}help: ${query.left}`)
    const set = yield* (yield* AliasStore).awaitLoaded(firstLoadWait)
    if (set !== undefined) return yield* reply(renderHelp(set.index.help(query.right), query.right, prefix))
    // Before the first alias load: ask StackStorm.
    const client = yield* St2Client
    const remote = yield* withUserCredential(request, (c) => client.aliasHelp(c, query.right)).pipe(
      Effect.either,
    )
    yield* Either.isRight(remote)
      ? reply(renderHelp(remote.right, query.right, prefix))
      : reply(describeFailure(remote.left))
  })

/**
 * Picks the alias exactly as st2 would, locally; when nothing matches locally, asks st2's
 * `/actionalias/match` before saying "not found" (an alias added a second ago must work, and a
 * hit triggers a refresh). Answers the user and returns `undefined` when there is nothing to run.
 */
const choose = (request: CommandRequest, text: string, prefix: string, reply: Reply) =>
  Effect.gen(function* () {
    // Right after start, wait briefly for the first load rather than matching remotely (st2's
    // match answers one execution, so a match_multiple command would lose its other occurrences).
    const set = yield* (yield* AliasStore).awaitLoaded(firstLoadWait)
    if (set !== undefined) {
      const local = set.index.match(text)
      if (local._tag === "Matched") {
        return {
          alias: local.alias,
          format: local.format,
          commands: local.commands,
        } satisfies Choice
      }
      if (local._tag === "Ambiguous") {
        const names = [...new Set(local.candidates.map((c) => `${aliasRef(c.alias)} ("${c.format}")`))]
        yield* reply(
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
      const disabled = set?.disabled.match(text)
      if (disabled?._tag === "Matched") {
        yield* reply(
          `The command "${aliasRef(disabled.alias)}" is disabled in StackStorm; ask an administrator to enable it.`,
        )
        return undefined
      }
      const suggestions = set?.index.suggest(text, 3) ?? []
      const hint =
        suggestions.length > 0 ? ` Did you mean: ${suggestions.map((s) => `${prefix}${s}`).join(" | ")}?` : ""
      yield* reply(
        `Sorry, I don't know ${quoteCommand(text)}.${hint} Type ${prefix.trim()}help to list commands.`,
      )
      return undefined
    }
    if (error._tag === "St2BadRequest" && /matched more than 1/.test(error.faultstring)) {
      yield* reply(`${quoteCommand(text)} matches more than one command. Please be more specific.`)
      return undefined
    }
    yield* reply(describeFailure(error))
    return undefined
  })

/** One `POST /aliasexecution` per execution, each acked; results are expected before posting. */
const execute = (
  services: Services,
  request: CommandRequest<ChatMessage>,
  running: RunningAdapter,
  choice: Choice,
  reply: Reply,
): Effect.Effect<void> => {
  const { adapter } = running
  const { client, pending, settings } = services
  const message = request.message
  const key = resultKey(adapter.name, message.id)
  const expectsResult = choice.alias.result?.enabled !== false
  const ref = aliasRef(choice.alias)
  // The result is expected before the POST (a fast result may arrive before the answer).
  const one = (command: string): Effect.Effect<boolean> =>
    Effect.suspend(() => {
      if (expectsResult) pending.expect(key, 1)
      return withUserCredentialFrom(services.credential, request, (c) =>
        client.executeAlias(c, {
          name: choice.alias.name,
          format: choice.format,
          command,
          user: adapter.userToSt2(message.user),
          source_channel: sourceChannelOf(adapter, message),
          source_context: adapter.sourceContext(message),
          notification_route: settings.routeKey,
        }),
      ).pipe(
        Effect.matchEffect({
          onFailure: (error) => {
            if (expectsResult) pending.release(key, 1)
            return Effect.logWarning("alias execution failed").pipe(
              Effect.annotateLogs({ alias: ref, error: error._tag }),
              Effect.zipRight(reply(describeFailure(error))),
              Effect.as(false),
            )
          },
          onSuccess: (result) => {
            const ack = renderAck(choice.alias, result)
            const answer = ack === undefined ? Effect.void : reply(ack, result.extra)
            return Effect.whenLogLevel(
              Effect.logInfo("execution started").pipe(
                Effect.annotateLogs({ alias: ref, execution: result.execution.id }),
              ),
              "Info",
            ).pipe(Effect.zipRight(answer), Effect.as(true))
          },
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
