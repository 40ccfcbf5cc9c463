import type { AddressInfo } from "node:net"
import { webApi } from "@slack/bolt"
import { Effect, Redacted } from "effect"
import { makeAdapterSessions } from "../AdapterSessions.ts"
import { makeAdapterStreams } from "../AdapterStreams.ts"
import { type AdapterTlsConfig, VERIFIED_TLS } from "../AdapterTls.ts"
import { type ChatAdapter, ChatTarget, type OutboundMessage } from "../ChatAdapter.ts"
import { ChatSendPermanent, type ChatSendTransient, ChatTargetUnknown } from "../ChatAdapterError.ts"
import type { ChatUser } from "../ChatMessage.ts"
import { sourceContextOf } from "../SourceContext.ts"
import { renderSlackMessage, SLACK_MAX_TEXT, type SlackContent } from "./renderSlackMessage.ts"
import { SlackDirectory } from "./SlackDirectory.ts"
import { classifySlackError, slackSendError } from "./slackErrors.ts"
import { parseSlackAddress, slackRoomToSt2, slackUserToSt2 } from "./slackIdentity.ts"
import {
  isCommandCandidate,
  type SlackBotIdentity,
  type SlackMessageEvent,
  toChatMessage,
} from "./slackInboundMessage.ts"
import { makeSlackLogger, type SlackLogSink } from "./slackLogger.ts"
import type { SlackConfig } from "./slackConfig.ts"
import { openSlackSession, type SlackSession } from "./SlackSession.ts"
import { makeSlackTransport } from "./slackTransport.ts"

/** A `slack` entry of the configuration; `tls` defaults to verified with Node's roots. */
export type SlackAdapterConfig = Omit<SlackConfig, "tls"> & {
  readonly tls?: AdapterTlsConfig | undefined
}

/** Settings that are not configuration: for tests and embedding. */
export interface SlackAdapterOptions {
  /** Where the Slack SDK's log lines go (default: errors on stderr). */
  readonly log?: SlackLogSink
  /** Socket Mode pong timeout (the SDK's `clientPingTimeout`, default 5,000 ms). */
  readonly clientPingTimeoutMs?: number
  /** Overrides `limits.minSendIntervalMs` (default 1,000: Slack allows about one message a second per channel). */
  readonly minSendIntervalMs?: number
}

/** The Slack adapter, plus where its HTTP Events API listener is (mode `http`; tests use port 0). */
export interface SlackAdapter extends ChatAdapter {
  readonly httpAddress: () => AddressInfo | undefined
}

/** Platform errors on a rich post that mean "the rendering was refused": the text is sent plain. */
const RENDERING_ERRORS = new Set([
  "invalid_blocks",
  "invalid_blocks_format",
  "invalid_attachments",
  "invalid_arguments",
])

/**
 * Slack through Bolt 5, in Socket Mode or over the HTTP Events API (see `openSlackSession`).
 *
 * Identity (`slackIdentity.ts`): `user` is the Slack user id (`U0123ABCD`), `source_channel` the
 * conversation id (`C0123ABCD`), a thread `C0123ABCD:1700000000.000100`; a DM's
 * `source_channel` is the author's user id. `resolveTarget` also accepts `#name`, `name`, `@handle`,
 * `<#C…|name>`, `<@U…>` and DM channel ids (`D…`).
 *
 * Sending: `chat.postMessage` (in a thread with `thread_ts`), a DM through `conversations.open`,
 * `Ephemeral` with `chat.postEphemeral` (a person not in the channel gets a DM instead).
 * `extra.slack` → attachment / Block Kit (`renderSlackMessage`); if Slack refuses the rendering
 * the text is sent plain. The Web API client never retries by itself (`retries: 0`,
 * `rejectRateLimitedCalls`): a 429 is `ChatSendTransient { retryAfterMs }` and the outbound queue
 * retries without reordering a channel.
 *
 * TLS: every outbound connection (the Web API, Socket Mode's WebSocket) is given the entry's
 * `tls` explicitly (`slackTransport.ts`), so `NODE_TLS_REJECT_UNAUTHORIZED` does not reach it.
 */
export const makeSlackAdapter = (
  config: SlackAdapterConfig,
  options: SlackAdapterOptions = {},
): SlackAdapter => {
  const name = config.name
  const streams = makeAdapterStreams()
  const logger = makeSlackLogger(name, options.log)
  const botToken = Redacted.value(config.botToken)
  const slackApiUrl = `${config.apiUrl.replace(/\/+$/, "")}/`
  const transport = makeSlackTransport(config.tls ?? VERIFIED_TLS)
  const client = new webApi.WebClient(botToken, {
    slackApiUrl,
    fetch: transport.fetch,
    logger,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 30_000,
  })
  const directory = new SlackDirectory(client)
  let bot: SlackBotIdentity | undefined

  // Inbound events are handled one after the other (name lookups are async) so `messages`
  // keeps Slack's order; a message seen twice (as `message` and `app_mention`, or an HTTP retry)
  // is emitted once.
  let chain: Promise<void> = Promise.resolve()
  const seen = new Set<string>()
  const onEvent = (event: SlackMessageEvent) => {
    const me = bot
    if (me === undefined || !isCommandCandidate(event, me)) return
    const key = `${event.channel}/${event.ts}`
    if (seen.has(key)) return
    seen.add(key)
    if (seen.size > 2_000) seen.delete(seen.values().next().value as string)
    const typed = event as SlackMessageEvent & { user: string; channel: string; ts: string; text: string }
    chain = chain
      .then(() => toChatMessage(typed, me, directory))
      .then(streams.pushMessage, (e: unknown) => logger.error(`dropped an inbound message: ${String(e)}`))
  }

  const sessions = makeAdapterSessions<SlackSession>(streams, {
    open: () =>
      openSlackSession({
        mode: config.mode,
        botToken,
        appToken: config.appToken === undefined ? undefined : Redacted.value(config.appToken),
        signingSecret: config.signingSecret === undefined ? undefined : Redacted.value(config.signingSecret),
        slackApiUrl,
        transport,
        http: config.http,
        clientPingTimeoutMs: options.clientPingTimeoutMs,
        logger,
        client,
        setStatus: streams.setStatus,
        onIdentity: (b) => {
          bot = b
        },
        onEvent,
      }),
    close: (session) => session.close(),
  })

  const call = <A>(what: string, f: () => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: (e) => slackSendError(name, e, what) })

  const unknown = (channel: string, reason: string) =>
    new ChatTargetUnknown({ adapter: name, channel, reason })

  const lookupUser = (raw: string): Effect.Effect<ChatUser, ChatTargetUnknown | ChatSendTransient> =>
    Effect.gen(function* () {
      const parsed = parseSlackAddress(raw)
      // A bare word is a handle here (`alice`), not a channel name.
      const address = parsed?._tag === "ConversationName" ? parseSlackAddress(`@${raw.trim()}`) : parsed
      if (address?._tag === "UserId") {
        return yield* Effect.tryPromise({
          try: () => directory.user(address.id),
          catch: (e) => notFoundOr(e, raw, `no Slack user with id ${address.id}`),
        })
      }
      if (address?._tag === "UserName") {
        const found = yield* call(`looking up @${address.name}`, () =>
          directory.userByName(address.name),
        ).pipe(Effect.catchTag("ChatSendPermanent", (e) => Effect.fail(unknown(raw, e.reason))))
        if (found !== undefined) return found
      }
      return yield* Effect.fail(
        new ChatTargetUnknown({
          adapter: name,
          user: raw,
          reason: `no Slack user ${raw} (give a user id U… or @handle)`,
        }),
      )
    })

  const notFoundOr = (e: unknown, raw: string, reason: string) => {
    const err = slackSendError(name, e, `looking up ${raw}`)
    return err._tag === "ChatSendTransient" ? err : unknown(raw, `${reason} (${err.reason})`)
  }

  const resolveTarget = (channel: string): Effect.Effect<ChatTarget, ChatTargetUnknown | ChatSendTransient> =>
    Effect.gen(function* () {
      const address = parseSlackAddress(channel)
      if (address === undefined) return yield* Effect.fail(unknown(channel, "empty channel"))
      switch (address._tag) {
        case "UserId":
        case "UserName":
          return ChatTarget.direct(yield* lookupUser(channel))
        case "ConversationId": {
          const c = yield* Effect.tryPromise({
            try: () => directory.conversation(address.id),
            catch: (e) => notFoundOr(e, channel, `no Slack conversation ${address.id} the bot can see`),
          })
          if (c.isIm && c.user !== undefined) return ChatTarget.direct(yield* lookupUser(c.user))
          return ChatTarget.room({ id: c.id, name: c.name }, address.threadId)
        }
        case "ConversationName": {
          const c = yield* call(`looking up #${address.name}`, () =>
            directory.conversationByName(address.name),
          ).pipe(Effect.catchTag("ChatSendPermanent", (e) => Effect.fail(unknown(channel, e.reason))))
          if (c !== undefined) return ChatTarget.room({ id: c.id, name: c.name }, address.threadId)
          if (address.threadId === undefined && !channel.startsWith("#")) {
            const person = yield* lookupUser(`@${address.name}`).pipe(Effect.option)
            if (person._tag === "Some") return ChatTarget.direct(person.value)
          }
          return yield* Effect.fail(
            unknown(
              channel,
              `no Slack channel named #${address.name} that the bot can see (invite the bot, or use the id C…)`,
            ),
          )
        }
      }
    })

  const post = (
    what: string,
    base: Record<string, unknown>,
    message: OutboundMessage,
    method: "postMessage" | "postEphemeral",
  ) => {
    const send = (content: SlackContent) =>
      call(what, () =>
        method === "postMessage"
          ? client.chat.postMessage({ ...base, ...content } as never)
          : client.chat.postEphemeral({ ...base, ...content } as never),
      )
    const rich = renderSlackMessage(message.text, message.extra)
    if (rich.attachments === undefined && rich.blocks === undefined)
      return Effect.asVoid(send({ text: message.text }))
    // The rendering is the announcement author's; if Slack refuses it, the text still goes out.
    return Effect.asVoid(
      Effect.tryPromise({
        try: () =>
          method === "postMessage"
            ? client.chat.postMessage({ ...base, ...rich } as never)
            : client.chat.postEphemeral({ ...base, ...rich } as never),
        catch: (e) => e,
      }).pipe(
        Effect.catchAll((e) => {
          const f = classifySlackError(e)
          if (f._tag === "Platform" && RENDERING_ERRORS.has(f.error)) {
            logger.warn(`Slack refused extra.slack (${f.error}); sent as plain text`)
            return send({ text: message.text })
          }
          return Effect.fail(slackSendError(name, e, what))
        }),
      ),
    )
  }

  const sendDirect = (user: ChatUser, message: OutboundMessage) =>
    Effect.flatMap(
      call(`opening a DM with ${user.id}`, () => directory.imWith(user.id)),
      (im) => post(`posting to ${user.id}`, { channel: im }, message, "postMessage"),
    )

  const send = (target: ChatTarget, message: OutboundMessage) =>
    Effect.suspend(() => {
      if (message.text.length > SLACK_MAX_TEXT)
        return Effect.fail(
          new ChatSendPermanent({
            adapter: name,
            reason: `message of ${message.text.length} characters is over Slack's ${SLACK_MAX_TEXT}`,
          }),
        )
      // Posting goes through the Web API, which needs no open session: results still reach Slack
      // while the socket reconnects or the bot shuts down (Slack's own errors say when it cannot).
      switch (target._tag) {
        case "Room":
          return post(
            `posting to ${target.room.id}`,
            {
              channel: target.room.id,
              ...(target.threadId === undefined ? {} : { thread_ts: target.threadId }),
            },
            message,
            "postMessage",
          )
        case "Direct":
          return sendDirect(target.user, message)
        case "Ephemeral":
          return post(
            `posting ephemerally to ${target.user.id} in ${target.room.id}`,
            {
              channel: target.room.id,
              user: target.user.id,
              ...(target.threadId === undefined ? {} : { thread_ts: target.threadId }),
            },
            message,
            "postEphemeral",
          ).pipe(
            // Slack cannot show an ephemeral message to someone outside the channel: tell them directly.
            Effect.catchIf(
              (e) =>
                e._tag === "ChatSendPermanent" &&
                /user_not_in_channel|channel_not_found|not_in_channel/.test(e.reason),
              () => sendDirect(target.user, message),
            ),
          )
      }
    })

  return {
    name,
    kind: "slack",
    limits: { maxMessageLength: SLACK_MAX_TEXT, minSendIntervalMs: options.minSendIntervalMs ?? 1_000 },
    capabilities: { threads: true, ephemeral: true, richExtra: true },
    connect: sessions.connect,
    status: streams.status,
    messages: streams.messages,
    userToSt2: slackUserToSt2,
    roomToSt2: slackRoomToSt2,
    resolveTarget: (channel) => resolveTarget(channel),
    resolveUser: (user) => lookupUser(user),
    sourceContext: (message) => sourceContextOf(name, message),
    send,
    httpAddress: () => sessions.current()?.httpAddress(),
  }
}
