import * as http from "node:http"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import { type WebSocket, WebSocketServer } from "ws"

/**
 * A protocol fake of Discord, written from the public API documentation (REST v10 and the
 * gateway, JSON encoding, no compression), that discord.js 14 talks to unchanged:
 * `new Client({ rest: { api: fake.apiUrl } })`. One guild, text channels, threads, DMs.
 *
 * REST: `GET /gateway/bot` (the gateway URL is this server), `GET /users/@me`, `GET /users/{id}`,
 * `GET /channels/{id}`, `POST /channels/{id}/messages`, `POST /users/@me/channels` (open a DM).
 * Every request needs `Authorization: Bot <token>` (401 otherwise); unknown channels are 404
 * `{code: 10003}`, unknown users 404 `{code: 10013}`; scripted 429s carry `retry_after`,
 * `Retry-After` and the `X-RateLimit-*` headers.
 *
 * Gateway: HELLO → IDENTIFY → READY (session id, bot user, the guild unavailable) → GUILD_CREATE
 * (channels, threads); heartbeats are acknowledged; dispatches carry sequence numbers and are
 * kept per session, so a RESUME after a drop replays what was missed, then RESUMED. An unknown
 * session gets op 9 (not resumable). A token the gateway rejects closes with 4004.
 *
 * TLS variants: `tls` serves REST and the gateway over HTTPS / WSS with that certificate;
 * `gatewayTls` serves the gateway from a second TLS listener with its own certificate (so a
 * client can trust REST and still be shown an untrusted gateway).
 */
export interface FakeDiscord {
  /** The REST base to give discord.js (`rest.api`), e.g. `http://127.0.0.1:PORT/api` (`https://` with `tls`). */
  readonly apiUrl: string
  readonly token: string
  readonly bot: FakeDiscordUser
  readonly guild: { readonly id: string; readonly name: string }
  readonly addChannel: (name: string, options?: { readonly id?: string }) => FakeChannel
  readonly addThread: (parent: FakeChannel, name: string) => FakeChannel
  readonly addUser: (
    username: string,
    options?: { readonly bot?: boolean; readonly id?: string },
  ) => FakeDiscordUser
  /** Makes the channel answer sends with 403 Missing Access (50001). */
  readonly forbid: (channel: FakeChannel) => void
  /**
   * `author` says `content` in `channel` (a text channel or thread), or to the bot privately
   * when `channel` is `undefined`. Waits until a gateway session is identified, dispatches
   * MESSAGE_CREATE and returns the message id.
   */
  readonly say: (
    author: FakeDiscordUser,
    channel: FakeChannel | undefined,
    content: string,
  ) => Promise<string>
  /** Every message the bot posted, in order. */
  readonly posted: ReadonlyArray<FakePost>
  /** Every REST request, in order (`GET /api/v10/gateway/bot`). */
  readonly requests: ReadonlyArray<string>
  /** The next message POST is answered 429 with this `retry_after`. */
  readonly rateLimitNext: (retryAfterMs: number) => void
  /** The next message POST is answered with this status and body (e.g. 400 `{code: 50035}`). */
  readonly failNextPost: (status: number, body: { readonly code: number; readonly message: string }) => void
  /** Answers message POSTs with 400 Invalid Form Body when they carry embeds. */
  readonly rejectEmbeds: (reject: boolean) => void
  /** From now on IDENTIFY and RESUME are answered with close code 4004 (the REST side still accepts). */
  readonly rejectGatewayToken: () => void
  /** Cuts every gateway socket without a close frame (the client sees 1006 and resumes). */
  readonly dropConnection: () => void
  /** Sends op 7 Reconnect on every gateway socket. */
  readonly requestReconnect: () => void
  /** Gateway statistics: sockets opened, IDENTIFYs, RESUMEs, heartbeats acknowledged. */
  readonly stats: () => {
    readonly sockets: number
    readonly open: number
    readonly identifies: number
    readonly resumes: number
    readonly heartbeats: number
  }
  readonly close: () => Promise<void>
}

export interface FakeDiscordUser {
  readonly id: string
  readonly username: string
  readonly globalName: string
  readonly bot: boolean
}

export interface FakeChannel {
  readonly id: string
  readonly name: string
  /** Set for a thread: the text channel it hangs off. */
  readonly parentId?: string | undefined
}

export interface FakePost {
  readonly channelId: string
  /** `channel` (a guild text channel), `thread`, or `dm`. */
  readonly kind: "channel" | "thread" | "dm"
  /** For `dm`: the recipient. */
  readonly recipientId?: string | undefined
  readonly content: string
  readonly embeds: ReadonlyArray<Record<string, unknown>>
  readonly body: Record<string, unknown>
}

const DISCORD_EPOCH = 1_420_070_400_000n

interface Session {
  readonly id: string
  seq: number
  /** Dispatches of this session, for replay on RESUME. */
  readonly sent: Array<Record<string, unknown>>
  socket: WebSocket | undefined
}

type Scripted =
  | { readonly kind: "rateLimit"; readonly retryAfterMs: number }
  | { readonly kind: "fail"; readonly status: number; readonly body: { code: number; message: string } }

/** A certificate and its key (PEM) for a TLS listener of a fake. */
export interface FakeTls {
  readonly key: string
  readonly cert: string
}

export const startFakeDiscord = async (
  options: {
    readonly token?: string
    readonly heartbeatIntervalMs?: number
    /** Serve REST and the gateway over TLS with this certificate. */
    readonly tls?: FakeTls
    /** Serve the gateway from a second TLS listener with this certificate. */
    readonly gatewayTls?: FakeTls
    /**
     * With `gatewayTls`: after the first gateway TLS connection, present this certificate instead
     * (an interceptor that shows a checker another certificate than the client it intercepts).
     */
    readonly gatewayTlsLater?: FakeTls
  } = {},
): Promise<FakeDiscord> => {
  const token = options.token ?? "fake-discord-token"
  const heartbeatInterval = options.heartbeatIntervalMs ?? 1_000
  let counter = 0n
  const snowflake = () => String(((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) + (counter++ % 4096n))

  const users = new Map<string, FakeDiscordUser>()
  const channels = new Map<
    string,
    FakeChannel & { kind: "channel" | "thread" | "dm"; recipientId?: string }
  >()
  const dmByUser = new Map<string, string>()
  const forbidden = new Set<string>()
  const posted: FakePost[] = []
  const requests: string[] = []
  const scripted: Scripted[] = []
  const sessions = new Map<string, Session>()
  const identifiedWaiters: Array<() => void> = []
  let embedsRejected = false
  let gatewayRejects = false
  const stats = { sockets: 0, open: 0, identifies: 0, resumes: 0, heartbeats: 0 }

  const addUser = (username: string, o: { bot?: boolean; id?: string } = {}): FakeDiscordUser => {
    const user = {
      id: o.id ?? snowflake(),
      username,
      globalName: username.toUpperCase(),
      bot: o.bot ?? false,
    }
    users.set(user.id, user)
    return user
  }
  const bot = addUser("stormbot", { bot: true })
  const guild = { id: snowflake(), name: "ops-guild" }

  const userJson = (u: FakeDiscordUser) => ({
    id: u.id,
    username: u.username,
    discriminator: "0",
    global_name: u.globalName,
    avatar: null,
    bot: u.bot,
  })
  const channelJson = (c: FakeChannel & { kind: string; recipientId?: string }) =>
    c.kind === "dm"
      ? { id: c.id, type: 1, last_message_id: null, recipients: [userJson(users.get(c.recipientId!)!)] }
      : c.kind === "thread"
        ? {
            id: c.id,
            type: 11,
            guild_id: guild.id,
            name: c.name,
            parent_id: c.parentId,
            owner_id: bot.id,
            thread_metadata: {
              archived: false,
              auto_archive_duration: 1440,
              archive_timestamp: new Date().toISOString(),
              locked: false,
            },
            message_count: 0,
            member_count: 1,
          }
        : { id: c.id, type: 0, guild_id: guild.id, name: c.name, position: 0, permission_overwrites: [] }

  const addChannel = (name: string, o: { id?: string } = {}): FakeChannel => {
    const channel = { id: o.id ?? snowflake(), name, kind: "channel" as const }
    channels.set(channel.id, channel)
    // Channels created after GUILD_CREATE are announced with CHANNEL_CREATE.
    for (const session of sessions.values()) dispatch(session, "CHANNEL_CREATE", channelJson(channel))
    return channel
  }
  const addThread = (parent: FakeChannel, name: string): FakeChannel => {
    const thread = { id: snowflake(), name, parentId: parent.id, kind: "thread" as const }
    channels.set(thread.id, thread)
    // Discord announces threads created after GUILD_CREATE with THREAD_CREATE.
    for (const session of sessions.values())
      dispatch(session, "THREAD_CREATE", { ...channelJson(thread), newly_created: true })
    return thread
  }
  const openDm = (userId: string): string => {
    const existing = dmByUser.get(userId)
    if (existing !== undefined) return existing
    const id = snowflake()
    channels.set(id, { id, name: "", kind: "dm", recipientId: userId })
    dmByUser.set(userId, id)
    return id
  }

  // ---- gateway ----
  const send = (socket: WebSocket | undefined, payload: Record<string, unknown>) => {
    if (socket !== undefined && socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload))
  }
  const dispatch = (session: Session, t: string, d: unknown) => {
    session.seq += 1
    const payload = { op: 0, t, s: session.seq, d }
    session.sent.push(payload)
    send(session.socket, payload)
  }
  const guildCreate = () => ({
    id: guild.id,
    name: guild.name,
    icon: null,
    owner_id: users.values().next().value!.id,
    unavailable: false,
    member_count: users.size,
    large: false,
    features: [],
    roles: [{ id: guild.id, name: "@everyone", permissions: "68608", position: 0, color: 0 }],
    emojis: [],
    stickers: [],
    members: [],
    voice_states: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    joined_at: new Date().toISOString(),
    channels: [...channels.values()].filter((c) => c.kind === "channel").map(channelJson),
    threads: [...channels.values()].filter((c) => c.kind === "thread").map(channelJson),
  })

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => void handleRest(req, res)
  const server: http.Server =
    options.tls === undefined ? http.createServer(onRequest) : https.createServer(options.tls, onRequest)
  const gatewayServer: http.Server =
    options.gatewayTls === undefined
      ? server
      : https.createServer(options.gatewayTls, (_req, res) => res.writeHead(404).end())
  const later = options.gatewayTlsLater
  if (later !== undefined && gatewayServer instanceof https.Server)
    gatewayServer.once("secureConnection", () => gatewayServer.setSecureContext(later))
  const wss = new WebSocketServer({ server: gatewayServer })
  wss.on("connection", (socket) => {
    stats.sockets += 1
    stats.open += 1
    socket.on("close", () => {
      stats.open -= 1
      for (const session of sessions.values()) if (session.socket === socket) session.socket = undefined
    })
    send(socket, { op: 10, d: { heartbeat_interval: heartbeatInterval } })
    socket.on("message", (data) => {
      let payload: { op: number; d?: { token?: unknown; session_id?: unknown; seq?: unknown } | null }
      try {
        payload = JSON.parse(String(data))
      } catch {
        socket.close(4002, "Decode error")
        return
      }
      switch (payload.op) {
        case 1:
          stats.heartbeats += 1
          send(socket, { op: 11 })
          return
        case 2: {
          stats.identifies += 1
          if (gatewayRejects || stripBot(payload.d?.token) !== token) {
            socket.close(4004, "Authentication failed.")
            return
          }
          const session: Session = { id: snowflake(), seq: 0, sent: [], socket }
          sessions.set(session.id, session)
          dispatch(session, "READY", {
            v: 10,
            user: userJson(bot),
            guilds: [{ id: guild.id, unavailable: true }],
            session_id: session.id,
            resume_gateway_url: gatewayUrl(),
            shard: [0, 1],
            application: { id: bot.id, flags: 0 },
          })
          dispatch(session, "GUILD_CREATE", guildCreate())
          for (const wake of identifiedWaiters.splice(0)) wake()
          return
        }
        case 6: {
          stats.resumes += 1
          if (gatewayRejects || stripBot(payload.d?.token) !== token) {
            socket.close(4004, "Authentication failed.")
            return
          }
          const session = sessions.get(String(payload.d?.session_id))
          if (session === undefined) {
            send(socket, { op: 9, d: false })
            return
          }
          session.socket = socket
          for (const missed of session.sent.filter((p) => (p.s as number) > Number(payload.d?.seq ?? 0)))
            send(socket, missed)
          dispatch(session, "RESUMED", {})
          return
        }
        default:
          return
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  if (gatewayServer !== server)
    await new Promise<void>((resolve) => gatewayServer.listen(0, "127.0.0.1", resolve))
  const gatewayPort = (gatewayServer.address() as AddressInfo).port
  const gatewayScheme = options.tls === undefined && options.gatewayTls === undefined ? "ws" : "wss"
  const gatewayUrl = () => `${gatewayScheme}://127.0.0.1:${gatewayPort}`

  const whenIdentified = () =>
    [...sessions.values()].some((s) => s.socket !== undefined)
      ? Promise.resolve()
      : new Promise<void>((resolve) => identifiedWaiters.push(resolve))

  // ---- REST ----
  const reply = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { "content-type": "application/json", ...headers })
    res.end(JSON.stringify(body))
  }
  const notFoundChannel = { code: 10003, message: "Unknown Channel" }

  const handleRest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString("utf8")
    const method = req.method ?? "GET"
    const path = (req.url ?? "/").split("?")[0]!.replace(/^\/api(\/v\d+)?/, "")
    requests.push(`${method} ${req.url}`)
    if (req.headers.authorization !== `Bot ${token}`)
      return reply(res, 401, { message: "401: Unauthorized", code: 0 })

    if (method === "GET" && path === "/gateway/bot")
      return reply(res, 200, {
        url: gatewayUrl(),
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
      })
    if (method === "GET" && path === "/users/@me") return reply(res, 200, userJson(bot))
    if (method === "POST" && path === "/users/@me/channels") {
      const recipient = users.get(String(JSON.parse(raw || "{}").recipient_id))
      if (recipient === undefined) return reply(res, 400, { code: 50033, message: "Invalid Recipient(s)" })
      return reply(res, 200, channelJson(channels.get(openDm(recipient.id))!))
    }
    let m = /^\/users\/(\d+)$/.exec(path)
    if (method === "GET" && m !== null) {
      const user = users.get(m[1]!)
      return user === undefined
        ? reply(res, 404, { code: 10013, message: "Unknown User" })
        : reply(res, 200, userJson(user))
    }
    m = /^\/channels\/([^/]+)$/.exec(path)
    if (method === "GET" && m !== null) {
      const channel = channels.get(m[1]!)
      return channel === undefined ? reply(res, 404, notFoundChannel) : reply(res, 200, channelJson(channel))
    }
    m = /^\/channels\/([^/]+)\/messages$/.exec(path)
    if (method === "POST" && m !== null) {
      const channel = channels.get(m[1]!)
      if (channel === undefined) return reply(res, 404, notFoundChannel)
      const step = scripted.shift()
      if (step?.kind === "rateLimit") {
        const seconds = step.retryAfterMs / 1000
        return reply(
          res,
          429,
          { message: "You are being rate limited.", retry_after: seconds, global: false },
          {
            "retry-after": String(seconds),
            "x-ratelimit-limit": "5",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(Date.now() / 1000 + seconds),
            "x-ratelimit-reset-after": String(seconds),
            "x-ratelimit-bucket": `messages-${channel.id}`,
            "x-ratelimit-scope": "user",
          },
        )
      }
      if (step?.kind === "fail") return reply(res, step.status, step.body)
      if (forbidden.has(channel.id)) return reply(res, 403, { code: 50001, message: "Missing Access" })
      let body: Record<string, unknown>
      try {
        body = JSON.parse(raw)
      } catch {
        return reply(res, 400, { code: 50109, message: "The request body contains invalid JSON." })
      }
      const content = typeof body.content === "string" ? body.content : ""
      const embeds = Array.isArray(body.embeds) ? (body.embeds as Array<Record<string, unknown>>) : []
      if (content.length > 2000 || (content === "" && embeds.length === 0))
        return reply(res, 400, { code: 50035, message: "Invalid Form Body" })
      if (embeds.length > 0 && embedsRejected)
        return reply(res, 400, { code: 50035, message: "Invalid Form Body" })
      posted.push({
        channelId: channel.id,
        kind: channel.kind,
        recipientId: channel.recipientId,
        content,
        embeds,
        body,
      })
      // Discord sends the bucket's headers with every answer; the fake's bucket never runs dry by itself.
      const bucketHeaders = {
        "x-ratelimit-limit": "5",
        "x-ratelimit-remaining": "4",
        "x-ratelimit-reset": String(Date.now() / 1000 + 5),
        "x-ratelimit-reset-after": "5",
        "x-ratelimit-bucket": `messages-${channel.id}`,
      }
      return reply(
        res,
        200,
        {
          id: snowflake(),
          channel_id: channel.id,
          ...(channel.kind === "dm" ? {} : { guild_id: guild.id }),
          author: userJson(bot),
          content,
          embeds,
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          tts: false,
          mention_everyone: false,
          mentions: [],
          mention_roles: [],
          attachments: [],
          pinned: false,
          type: 0,
        },
        bucketHeaders,
      )
    }
    return reply(res, 404, { code: 0, message: "404: Not Found" })
  }

  return {
    apiUrl: `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}/api`,
    token,
    bot,
    guild,
    addChannel,
    addThread,
    addUser: (username, o) => addUser(username, o),
    forbid: (channel) => void forbidden.add(channel.id),
    say: async (author, channel, content) => {
      await whenIdentified()
      const id = snowflake()
      const target = channel === undefined ? channels.get(openDm(author.id))! : channels.get(channel.id)!
      const mentions = [...content.matchAll(/<@!?(\d+)>/g)]
        .map((x) => users.get(x[1]!))
        .filter((u) => u !== undefined)
        .map(userJson)
      const d = {
        id,
        channel_id: target.id,
        channel_type: target.kind === "dm" ? 1 : target.kind === "thread" ? 11 : 0,
        ...(target.kind === "dm"
          ? {}
          : {
              guild_id: guild.id,
              member: {
                roles: [],
                joined_at: new Date().toISOString(),
                nick: null,
                deaf: false,
                mute: false,
              },
            }),
        author: userJson(author),
        content,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
        tts: false,
        mention_everyone: false,
        mentions,
        mention_roles: [],
        attachments: [],
        embeds: [],
        pinned: false,
        type: 0,
      }
      for (const session of sessions.values()) dispatch(session, "MESSAGE_CREATE", d)
      return id
    },
    posted,
    requests,
    rateLimitNext: (retryAfterMs) => void scripted.push({ kind: "rateLimit", retryAfterMs }),
    failNextPost: (status, body) => void scripted.push({ kind: "fail", status, body: { ...body } }),
    rejectEmbeds: (reject) => {
      embedsRejected = reject
    },
    rejectGatewayToken: () => {
      gatewayRejects = true
    },
    dropConnection: () => {
      for (const socket of wss.clients) socket.terminate()
    },
    requestReconnect: () => {
      for (const socket of wss.clients) send(socket, { op: 7, d: null })
    },
    stats: () => ({ ...stats }),
    close: async () => {
      for (const socket of wss.clients) socket.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      for (const s of new Set([server, gatewayServer])) {
        s.closeAllConnections()
        await new Promise<void>((resolve) => s.close(() => resolve()))
      }
    },
  }
}

const stripBot = (t: unknown): string => (typeof t === "string" ? t.replace(/^Bot /, "") : "")
