import {
  type Channel,
  ChannelType,
  Client,
  type ClientOptions,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Message,
  Partials,
  type User,
} from "discord.js"
import { Effect, Redacted } from "effect"
import { makeAdapterSessions } from "../AdapterSessions.ts"
import { makeAdapterStreams } from "../AdapterStreams.ts"
import { type AdapterTlsConfig, CERTIFICATE_HINT, certificateFailure, VERIFIED_TLS } from "../AdapterTls.ts"
import { type ChatAdapter, ChatTarget, type ConnectionStatus } from "../ChatAdapter.ts"
import { ChatSendPermanent, ChatSendTransient, ChatTargetUnknown } from "../ChatAdapterError.ts"
import type { ChatMessage, ChatRoom, ChatUser } from "../ChatMessage.ts"
import { sourceContextOf } from "../SourceContext.ts"
import { statusOfGatewayClose, statusOfLoginError } from "./discordConnectionStatus.ts"
import { discordRoomString, discordUserString, parseDiscordAddress } from "./discordIdentity.ts"
import { type DiscordPayload, discordPayload } from "./discordMessagePayload.ts"
import { discordSendError } from "./discordSendError.ts"
import { checkedGatewayStrategy, discordRestAgent } from "./discordTls.ts"
import { normalizeDiscordText } from "./normalizeDiscordText.ts"

export interface DiscordAdapterOptions {
  /** Instance name (`discord`, `discord-eu`). */
  readonly name: string
  readonly token: Redacted.Redacted<string>
  /** The REST base (`https://discord.com/api`); the gateway URL comes from `GET /gateway/bot`. */
  readonly apiUrl: string
  /**
   * The longest rate-limit wait discord.js may absorb itself (it queues per route); a longer
   * one, and every 429 it did not foresee, fails the send with `ChatSendTransient { retryAfterMs }`
   * so the outbound queue waits instead. Default 3000 ms.
   */
  readonly rateLimitWaitMs?: number
  /** Retries of a request that failed with 5xx or a reset connection (default 1). */
  readonly restRetries?: number
  /** Timeout of one REST request (default 15 s). */
  readonly restTimeoutMs?: number
  /** TLS of REST and the gateway (`discordTls.ts`); default: verified with Node's roots. */
  readonly tls?: AdapterTlsConfig | undefined
}

/** Discord's limit on `content`. */
export const DISCORD_MAX_MESSAGE_LENGTH = 2000

interface Session {
  readonly client: Client
  /** REST's undici agent (the adapter's `tls`), closed with the session. */
  readonly agent: ReturnType<typeof discordRestAgent>
  /** Settles when `login` did (resolved or rejected). */
  readonly login: Promise<void>
  /** Resolves when the client is ready (first READY and the guilds received). */
  readonly ready: Promise<void>
  closed: boolean
  /** A certificate was refused: the session is dead, and later gateway events add nothing. */
  tlsRefused: boolean
}

/** How long a send made while the session is still connecting waits for it before failing transiently. */
const READY_WAIT_MS = 10_000
/** How long closing a session waits for a login in flight, so no socket opens after `destroy`. */
const LOGIN_SETTLE_MS = 5_000

/**
 * Discord through discord.js 14: guild text channels, their threads, and direct messages.
 * Commands by prefix (`!st2 ...`) and by mention (`@stormbot st2 ...`); other bots (and the bot
 * itself) are ignored. A message in a thread reports the thread's parent as `room` and the
 * thread as `threadId`, and replies go into the thread.
 *
 * Identity (see `discordIdentity.ts`): `user` = `<@USER_ID>`, `source_channel` = `<#CHANNEL_ID>`
 * or `<#CHANNEL_ID>/THREAD_ID`. `#name`, raw ids and `@username` are accepted from workflows.
 *
 * Sending: `content` is the text (at most 2000 characters), `extra.discord.embeds` become
 * embeds; a malformed `extra` (or embeds Discord rejects) still sends the text. Discord has no
 * ephemeral messages outside interactions, so whispers are direct messages.
 *
 * Each `connect` is one discord.js `Client` (`login` on acquire, `destroy` on release); gateway
 * events become statuses: ready / resumed → Connected, shard reconnecting → Reconnecting, a
 * rejected token (401, close 4004) → InvalidCredentials, other fatal closes → Disconnected.
 *
 * TLS: REST and the gateway are given the adapter's `tls` explicitly (`discordTls.ts`), so
 * `NODE_TLS_REJECT_UNAUTHORIZED` does not reach them; a refused certificate is Disconnected,
 * saying which and what to do, and the session's client is destroyed.
 */
export const makeDiscordAdapter = (options: DiscordAdapterOptions): ChatAdapter => {
  const name = options.name
  const streams = makeAdapterStreams()
  const rateLimitWaitMs = options.rateLimitWaitMs ?? 3_000
  const tls = options.tls ?? VERIFIED_TLS
  /** The session the latest `connect` opened (`sessions`, below). */
  const current = (): Session | undefined => sessions.current()

  const report = (session: Session, status: ConnectionStatus) => {
    if (session.closed || current() !== session || session.tlsRefused) return
    const now = streams.currentStatus()
    if (now._tag === status._tag && JSON.stringify(now) === JSON.stringify(status)) return
    // A rejected token stays rejected for this session: later closes add nothing.
    if (now._tag === "InvalidCredentials") return
    streams.setStatus(status)
  }

  /** A connection of the session met a certificate its `tls` does not trust: it ends here. */
  const refuseTls = (session: Session, what: string, reason: string) => {
    report(session, {
      _tag: "Disconnected",
      reason: `${what}'s TLS certificate is not trusted: ${reason}; ${CERTIFICATE_HINT}`,
    })
    session.tlsRefused = true
    void session.client.destroy().catch(() => undefined)
  }

  const open = (): Session => {
    const agent = discordRestAgent(tls)
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.MessageContent,
      ],
      // DM channels are not cached before their first message arrives.
      partials: [Partials.Channel],
      rest: {
        api: options.apiUrl,
        retries: options.restRetries ?? 1,
        timeout: options.restTimeoutMs ?? 15_000,
        rejectOnRateLimit: (limit) =>
          limit.global || Math.max(limit.retryAfter, limit.timeToReset) > rateLimitWaitMs,
        // An undici 7 Agent: @discordjs/rest's undici 6 `request` drives any Dispatcher.
        agent: agent as unknown as NonNullable<NonNullable<ClientOptions["rest"]>["agent"]>,
      },
      ws: {
        buildStrategy: checkedGatewayStrategy(tls, (reason) =>
          refuseTls(session, "the Discord gateway", reason),
        ),
      },
    })
    let markReady = () => {}
    const ready = new Promise<void>((resolve) => {
      markReady = resolve
    })
    const login = client.login(Redacted.value(options.token)).then(
      () => undefined,
      (error: unknown) => report(session, statusOfLoginError(error)),
    )
    const session: Session = { client, agent, login, ready, closed: false, tlsRefused: false }
    client.on(Events.ClientReady, () => {
      markReady()
      report(session, { _tag: "Connected" })
    })
    client.on(Events.ShardReady, () => report(session, { _tag: "Connected" }))
    client.on(Events.ShardResume, () => report(session, { _tag: "Connected" }))
    client.on(Events.ShardReconnecting, () =>
      report(session, {
        _tag: "Reconnecting",
        reason: "the Discord gateway connection was lost; discord.js is resuming",
      }),
    )
    client.on(Events.ShardDisconnect, (event) => report(session, statusOfGatewayClose(event.code)))
    client.on(Events.Invalidated, () =>
      report(session, { _tag: "Disconnected", reason: "Discord invalidated the gateway session" }),
    )
    // discord.js emits `error` for failures it recovers from; an unheard `error` would crash.
    client.on(Events.Error, () => {})
    // Node refused the gateway's certificate itself (NODE_TLS_REJECT_UNAUTHORIZED unset).
    client.on(Events.ShardError, (error) => {
      const certificate = certificateFailure(error)
      if (certificate !== undefined) refuseTls(session, "the Discord gateway", certificate)
    })
    client.on(Events.MessageCreate, (message) => {
      if (session.closed) return
      const normalised = toChatMessage(client, message)
      if (normalised !== undefined) streams.pushMessage(normalised)
    })
    return session
  }

  const close = async (session: Session) => {
    session.closed = true
    // discord.js opens the gateway socket late in `login`; destroying before that would leave
    // it running. Wait for the login in flight (bounded), and destroy again once it settles.
    // A refused certificate destroyed the client already; its login never settles.
    let settled = session.tlsRefused
    if (!settled) await Promise.race([session.login.then(() => (settled = true)), sleep(LOGIN_SETTLE_MS)])
    await session.client.destroy().catch(() => undefined)
    if (!settled)
      void session.login.then(async () => {
        await session.client.destroy().catch(() => undefined)
        await session.agent.destroy().catch(() => undefined)
      })
    else await session.agent.destroy().catch(() => undefined)
  }
  const sessions = makeAdapterSessions(streams, { open, close })

  const notConnected = new ChatSendTransient({ adapter: name, reason: "not connected to Discord" })
  /** The current session's client once it is ready (waiting a little while it connects). */
  const clientOrFail = Effect.suspend(() => {
    const session = current()
    if (session === undefined) return Effect.fail(notConnected)
    if (session.client.isReady()) return Effect.succeed(session.client)
    const status = streams.currentStatus()
    // A session that failed to log in will not become ready: no point waiting for it.
    if (status._tag === "Disconnected" || status._tag === "InvalidCredentials")
      return Effect.fail(
        new ChatSendTransient({ adapter: name, reason: `not connected to Discord: ${status.reason}` }),
      )
    return Effect.promise(() => session.ready).pipe(
      Effect.timeoutFail({ duration: READY_WAIT_MS, onTimeout: () => notConnected }),
      Effect.flatMap(() => (session.closed ? Effect.fail(notConnected) : Effect.succeed(session.client))),
    )
  })

  const lookup = <A>(what: string, f: () => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: (e) => e }).pipe(
      Effect.catchAll((e) =>
        isUnknown(e)
          ? Effect.succeed(undefined)
          : Effect.fail(
              new ChatSendTransient({
                adapter: name,
                reason: `could not look up ${what} on Discord: ${e instanceof Error ? e.message : String(e)}`,
              }),
            ),
      ),
    )

  const unknown = (channel: string, reason: string) =>
    new ChatTargetUnknown({ adapter: name, channel, reason })

  const targetOfChannel = (channel: Channel): ChatTarget | undefined => {
    if (channel.isThread())
      return ChatTarget.room(
        { id: channel.parentId ?? channel.id, name: channel.parent?.name ?? channel.parentId ?? channel.id },
        channel.parentId === null ? undefined : channel.id,
      )
    if (channel.type === ChannelType.DM && channel.recipient !== null)
      return ChatTarget.direct(chatUserOf(channel.recipient))
    if (channel.isTextBased() && "name" in channel)
      return ChatTarget.room({ id: channel.id, name: channel.name ?? channel.id })
    return undefined
  }

  const byName = (client: Client, raw: string, wanted: string, fallbackToUser: boolean) =>
    Effect.suspend(() => {
      const matches = [...client.channels.cache.values()].filter(
        (c) =>
          !c.isDMBased() && c.isTextBased() && "name" in c && c.name.toLowerCase() === wanted.toLowerCase(),
      )
      if (matches.length === 1) return Effect.succeed(targetOfChannel(matches[0]!)!)
      if (matches.length > 1)
        return Effect.fail(
          unknown(
            raw,
            `${matches.length} Discord channels are named #${wanted}: use the channel's id (<#id>)`,
          ),
        )
      const user = fallbackToUser ? userByName(client, wanted) : undefined
      return user === undefined
        ? Effect.fail(unknown(raw, `the bot sees no Discord channel named #${wanted}`))
        : Effect.succeed(ChatTarget.direct(chatUserOf(user)))
    })

  const resolveTarget: ChatAdapter["resolveTarget"] = (channel) =>
    Effect.gen(function* () {
      const address = parseDiscordAddress(channel)
      if (address === undefined) return yield* Effect.fail(unknown(channel, "empty channel"))
      switch (address._tag) {
        case "User":
          return ChatTarget.direct(knownUser(address.id))
        case "Channel": {
          if (address.threadId !== undefined)
            return ChatTarget.room({ id: address.id, name: knownChannelName(address.id) }, address.threadId)
          // `<#thread>` typed by hand: a cached thread leads to its parent; otherwise the id as is.
          const cached = current()?.client.channels.cache.get(address.id)
          const target = cached === undefined ? undefined : targetOfChannel(cached)
          return target ?? ChatTarget.room({ id: address.id, name: knownChannelName(address.id) })
        }
        case "Snowflake": {
          const client = yield* clientOrFail
          const found = yield* lookup(`channel ${address.id}`, () => client.channels.fetch(address.id))
          if (found !== undefined && found !== null) {
            const target = targetOfChannel(found)
            if (target !== undefined) return target
            return yield* Effect.fail(unknown(channel, `Discord channel ${address.id} is not a text channel`))
          }
          const user = yield* lookup(`user ${address.id}`, () => client.users.fetch(address.id))
          if (user !== undefined) return ChatTarget.direct(chatUserOf(user))
          return yield* Effect.fail(unknown(channel, `no Discord channel or user has the id ${address.id}`))
        }
        case "ChannelName":
          return yield* byName(yield* clientOrFail, channel, address.name, false)
        case "Name":
          return yield* byName(yield* clientOrFail, channel, address.name, true)
        case "UserName": {
          const client = yield* clientOrFail
          const user = userByName(client, address.name)
          if (user === undefined)
            return yield* Effect.fail(
              unknown(channel, `the bot has not seen a Discord user named ${address.name}: use <@USER_ID>`),
            )
          return ChatTarget.direct(chatUserOf(user))
        }
      }
    })

  const resolveUser: ChatAdapter["resolveUser"] = (raw) =>
    Effect.suspend(() => {
      const address = parseDiscordAddress(raw)
      if (address?._tag === "User" || address?._tag === "Snowflake")
        return Effect.succeed(knownUser(address.id))
      if (address?._tag === "UserName" || address?._tag === "Name") {
        const session = current()
        const user = session === undefined ? undefined : userByName(session.client, address.name)
        if (user !== undefined) return Effect.succeed(chatUserOf(user))
      }
      return Effect.fail(
        new ChatTargetUnknown({
          adapter: name,
          user: raw,
          reason: `"${raw}" is not a Discord user the bot knows: use <@USER_ID>`,
        }),
      )
    })

  const knownUser = (id: string): ChatUser => {
    const user = current()?.client.users.cache.get(id)
    return user === undefined ? { id, displayName: id, handle: id } : chatUserOf(user)
  }
  const knownChannelName = (id: string): string => {
    const channel = current()?.client.channels.cache.get(id)
    return channel !== undefined && "name" in channel && typeof channel.name === "string" ? channel.name : id
  }

  /** The channel a target's message is posted in: the thread, the room, or the user's DM channel. */
  const channelOf = async (client: Client, target: ChatTarget) => {
    if (target._tag === "Room") {
      const channel = await client.channels.fetch(target.threadId ?? target.room.id)
      // Permissions are left to Discord (50013): the cached overwrites may be stale.
      if (channel === null || !channel.isTextBased() || !("send" in channel))
        throw new ChatSendPermanent({
          adapter: name,
          reason: `Discord channel ${target.room.id} is not a text channel`,
        })
      return channel
    }
    // Discord has ephemeral messages only as answers to interactions: a whisper is a DM.
    const user = await client.users.fetch(target.user.id)
    return user.createDM()
  }

  const post = (client: Client, target: ChatTarget, payload: DiscordPayload) =>
    Effect.tryPromise({
      try: async () => {
        const channel = await channelOf(client, target)
        try {
          await channel.send(payload)
          return undefined
        } catch (error) {
          // Discord refused the embeds (Invalid Form Body): the text still goes.
          if (payload.embeds === undefined || !(error instanceof DiscordAPIError) || error.code !== 50035)
            throw error
          await channel.send({ content: payload.content, allowedMentions: payload.allowedMentions })
          return `Discord rejected the embeds of extra.discord (${error.message}); sent the text alone`
        }
      },
      catch: (error) => (error instanceof ChatSendPermanent ? error : discordSendError(name, error)),
    })

  return {
    name,
    kind: "discord",
    limits: { maxMessageLength: DISCORD_MAX_MESSAGE_LENGTH, minSendIntervalMs: 0 },
    capabilities: { threads: true, ephemeral: false, richExtra: true },
    connect: sessions.connect,
    status: streams.status,
    messages: streams.messages,
    userToSt2: (user) => discordUserString(user.id),
    roomToSt2: (room, threadId) => discordRoomString(room.id, threadId),
    resolveTarget,
    resolveUser,
    sourceContext: (message) => sourceContextOf(name, message),
    send: (target, message) =>
      Effect.gen(function* () {
        if (message.text.length > DISCORD_MAX_MESSAGE_LENGTH)
          return yield* Effect.fail(
            new ChatSendPermanent({
              adapter: name,
              reason: `a message of ${message.text.length} characters is longer than Discord's ${DISCORD_MAX_MESSAGE_LENGTH}`,
            }),
          )
        const client = yield* clientOrFail
        const { payload, dropped } = discordPayload(message.text, message.extra)
        if (dropped !== undefined)
          yield* Effect.logWarning("extra.discord not rendered; sending the text alone").pipe(
            Effect.annotateLogs({ adapter: name, problem: dropped }),
          )
        const fellBack = yield* post(client, target, payload)
        if (fellBack !== undefined)
          yield* Effect.logWarning(fellBack).pipe(Effect.annotateLogs({ adapter: name }))
      }),
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())

const isUnknown = (e: unknown) =>
  e instanceof DiscordAPIError && (e.status === 404 || e.code === 10003 || e.code === 10013)

const chatUserOf = (user: User): ChatUser => ({
  id: user.id,
  displayName: user.globalName ?? user.username,
  handle: user.username,
})

const userByName = (client: Client, wanted: string): User | undefined => {
  const lower = wanted.toLowerCase()
  return [...client.users.cache.values()].find((u) => u.username.toLowerCase() === lower && !u.bot)
}

/** A discord.js message as a `ChatMessage`; `undefined` for bots (the bot itself included) and system messages. */
const toChatMessage = (client: Client, message: Message): ChatMessage | undefined => {
  if (message.author.bot || message.author.id === client.user?.id || message.system) return undefined
  const channel = message.channel
  const isDirect = channel.type === ChannelType.DM || message.guildId === null
  let room: ChatRoom | undefined
  let threadId: string | undefined
  if (!isDirect) {
    if (channel.isThread() && channel.parentId !== null) {
      room = { id: channel.parentId, name: channel.parent?.name ?? channel.parentId }
      threadId = channel.id
    } else {
      room = {
        id: channel.id,
        name: "name" in channel && typeof channel.name === "string" ? channel.name : channel.id,
      }
    }
  }
  const { text, mentionsBot } = normalizeDiscordText(message.content, {
    botId: client.user?.id ?? "",
    userName: (id) => message.mentions.users.get(id)?.username ?? client.users.cache.get(id)?.username,
    channelName: (id) => {
      const c = client.channels.cache.get(id)
      return c !== undefined && "name" in c && typeof c.name === "string" ? c.name : undefined
    },
    roleName: (id) => message.guild?.roles.cache.get(id)?.name,
  })
  return {
    id: message.id,
    text,
    user: {
      id: message.author.id,
      displayName: message.member?.displayName ?? message.author.globalName ?? message.author.username,
      handle: message.author.username,
    },
    room,
    threadId,
    isDirect,
    mentionsBot,
    raw: {
      guildId: message.guildId,
      channelId: message.channelId,
      messageId: message.id,
      authorId: message.author.id,
    },
  }
}
