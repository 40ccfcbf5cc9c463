import { Effect, Either } from "effect"
import { type ChatMessage, sourceChannelOf } from "../adapters/ChatAdapter.ts"
import { deliverToChat } from "../chat/deliverToChat.ts"
import type { ActionAlias } from "../st2/ActionAlias.ts"
import { aliasRef } from "../st2/ActionAlias.ts"
import { St2Client } from "../st2/St2Client.ts"
import { AliasRefresh } from "./AliasRefresh.ts"
import { AliasStore } from "./AliasStore.ts"
import { BotSettings, commandPrefix } from "./BotSettings.ts"
import { adapterNamed, type RunningAdapter } from "./ChatAdapters.ts"
import type { CommandRequest } from "./CommandRequest.ts"
import { describeFailure } from "./describeFailure.ts"
import { parseHelpQuery } from "./helpQuery.ts"
import { PendingResults, resultKey } from "./PendingResults.ts"
import { quoteCommand } from "./quoteCommand.ts"
import { renderAck } from "./renderAck.ts"
import { renderHelp } from "./renderHelp.ts"
import { withUserCredential } from "./withUserCredential.ts"

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
  Effect.gen(function* () {
    const running = yield* adapterNamed(request.adapter)
    const reply = replyTo(running, request.message)
    const settings = yield* BotSettings
    const prefix = commandPrefix(settings)
    const command = request.command
    if (command._tag === "Help") return yield* help(request, command.args, prefix, reply)

    const choice = yield* choose(request, command.command, prefix, reply)
    if (choice === undefined) return
    yield* execute(request, running, choice, reply)
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.logError("command failed unexpectedly").pipe(
        Effect.annotateLogs({ adapter: request.adapter, request: request.id }),
        Effect.zipRight(Effect.logDebug(cause)),
      ),
    ),
    Effect.annotateLogs({ adapter: request.adapter, request: request.id }),
  )

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
  request: CommandRequest<ChatMessage>,
  running: RunningAdapter,
  choice: Choice,
  reply: Reply,
) =>
  Effect.gen(function* () {
    const { adapter } = running
    const settings = yield* BotSettings
    const client = yield* St2Client
    const pending = yield* PendingResults
    const message = request.message
    const key = resultKey(adapter.name, message.id)
    const expectsResult = choice.alias.result?.enabled !== false
    for (const command of choice.commands) {
      if (expectsResult) yield* pending.expect(key, 1)
      const result = yield* withUserCredential(request, (c) =>
        client.executeAlias(c, {
          name: choice.alias.name,
          format: choice.format,
          command,
          user: adapter.userToSt2(message.user),
          source_channel: sourceChannelOf(adapter, message),
          source_context: adapter.sourceContext(message),
          notification_route: settings.routeKey,
        }),
      ).pipe(Effect.either)
      if (Either.isLeft(result)) {
        if (expectsResult) yield* pending.release(key, 1)
        yield* Effect.logWarning("alias execution failed").pipe(
          Effect.annotateLogs({ alias: aliasRef(choice.alias), error: result.left._tag }),
        )
        return yield* reply(describeFailure(result.left))
      }
      yield* Effect.logInfo("execution started").pipe(
        Effect.annotateLogs({ alias: aliasRef(choice.alias), execution: result.right.execution.id }),
      )
      const ack = renderAck(choice.alias, result.right)
      if (ack !== undefined) yield* reply(ack, result.right.extra)
    }
  })
