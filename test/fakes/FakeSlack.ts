import { createHmac } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { createServer as createTlsServer } from "node:https"
import type { AddressInfo, Socket } from "node:net"
import { WebSocket, WebSocketServer } from "ws"

/**
 * A protocol fake of Slack, written from Slack's public API documentation, that the real
 * `@slack/bolt` talks to unchanged:
 * - the Web API (`POST {url}/<method>`, form or JSON bodies, `Authorization: Bearer` or a `token`
 *   field): `auth.test`, `apps.connections.open`, `chat.postMessage`, `chat.postEphemeral`,
 *   `conversations.open|info|list`, `users.info|list`; `{ok:false, error}` answers; HTTP 429 with
 *   `Retry-After` (seconds) when scripted;
 * - Socket Mode: `apps.connections.open` (app-level token) answers a `ws://` URL (`wss://` with
 *   `tls` or `socketTls`); the socket gets
 *   `{"type":"hello"}`, then `events_api` envelopes, and must ack each `envelope_id`;
 *   `{"type":"disconnect","reason":...}` asks the client to reconnect;
 * - the Events API: signed HTTP requests (`X-Slack-Signature: v0=HMAC_SHA256(secret,
 *   "v0:" + ts + ":" + body)`, `X-Slack-Request-Timestamp`) to the app's URL, and `url_verification`.
 * It records every call and what was posted where.
 *
 * TLS variants: `tls` serves the Web API and the Socket Mode WebSocket over HTTPS with that
 * certificate; `socketTls` serves the WebSocket from a second HTTPS listener with its own
 * certificate (so a client can trust the API and still be shown an untrusted socket).
 */
export interface FakeSlack {
  /** The Web API base (`http://127.0.0.1:PORT/api`, `https://` with `tls`; no trailing slash, as `api_url`). */
  readonly url: string
  readonly botToken: string
  readonly appToken: string
  readonly signingSecret: string
  readonly bot: { readonly userId: string; readonly botId: string }
  readonly addUser: (user: { id: string; name: string; realName?: string }) => void
  readonly addChannel: (channel: {
    id: string
    name: string
    isPrivate?: boolean
    archived?: boolean
    /** When given, only these users (and the bot if listed) are members. */
    members?: string[]
  }) => void
  /** Every Web API call, in order (the token is not kept). */
  readonly calls: ReadonlyArray<FakeSlackCall>
  /** Messages Slack accepted, in order. */
  readonly posts: ReadonlyArray<FakeSlackPost>
  /** The next `chat.*` call (or `method`) is answered HTTP 429 with `Retry-After: seconds`. */
  readonly rateLimitNext: (seconds: number, method?: string) => void
  /** The next call of `method` is answered `{ok: false, error}`. */
  readonly failNext: (method: string, error: string) => void
  /** Socket Mode: sockets opened so far (each after an `apps.connections.open`), and open now. */
  readonly sockets: () => { readonly opened: number; readonly open: number }
  /** Resolves once `n` sockets have been opened and greeted with hello. */
  readonly socketOpened: (n: number) => Promise<void>
  /** Sends an `events_api` envelope on the newest socket; resolves when the app acked it. */
  readonly sendEvent: (event: Record<string, unknown>) => Promise<void>
  /** Sends `{"type":"disconnect","reason"}` on every open socket (Slack's connection refresh). */
  readonly requestReconnect: (reason?: "refresh_requested" | "warning" | "link_disabled") => void
  /** Drops every open socket without a close handshake (a network failure). */
  readonly dropSockets: () => void
  /**
   * Events API: posts `event` to the app's request URL, signed with `secret` (default the right
   * one); `timestamp` defaults to now. Returns the HTTP status and body.
   */
  readonly postEvent: (
    url: string,
    event: Record<string, unknown>,
    options?: { readonly secret?: string; readonly timestamp?: number },
  ) => Promise<{ readonly status: number; readonly body: string }>
  /** Events API: the `url_verification` handshake Slack does when the request URL is saved. */
  readonly verifyUrl: (
    url: string,
    challenge: string,
  ) => Promise<{ readonly status: number; readonly body: string }>
  /** A person's `message` event (`channel_type` from the channel id: `D…` is `im`). */
  readonly message: (m: {
    user: string
    channel: string
    text: string
    thread_ts?: string
    subtype?: string
    bot_id?: string
  }) => Record<string, unknown>
  readonly close: () => Promise<void>
}

export interface FakeSlackCall {
  readonly method: string
  readonly params: Record<string, unknown>
  readonly tokenKind: "bot" | "app" | "other" | "none"
}

export interface FakeSlackPost {
  readonly method: "chat.postMessage" | "chat.postEphemeral"
  readonly channel: string
  /** The visible text: `text`, else the first attachment's text / block texts. */
  readonly text: string
  readonly thread_ts?: string | undefined
  /** `chat.postEphemeral`'s user. */
  readonly user?: string | undefined
  readonly attachments?: ReadonlyArray<Record<string, unknown>> | undefined
  readonly blocks?: ReadonlyArray<Record<string, unknown>> | undefined
  readonly ts: string
}

interface Channel {
  id: string
  name: string
  isPrivate: boolean
  archived: boolean
  isIm: boolean
  user?: string
  members?: string[]
}

/** A certificate and its key (PEM) for a TLS listener of a fake. */
export interface FakeTls {
  readonly key: string
  readonly cert: string
}

export const startFakeSlack = async (
  options: {
    readonly botToken?: string
    readonly appToken?: string
    readonly signingSecret?: string
    /** Serve the Web API and the Socket Mode WebSocket over TLS with this certificate. */
    readonly tls?: FakeTls
    /** Serve the Socket Mode WebSocket from a second TLS listener with this certificate. */
    readonly socketTls?: FakeTls
  } = {},
): Promise<FakeSlack> => {
  const botToken = options.botToken ?? "xoxb-fake-bot-token"
  const appToken = options.appToken ?? "xapp-fake-app-token"
  const signingSecret = options.signingSecret ?? "fake-signing-secret"
  const bot = { userId: "UBOT", botId: "BBOT" }
  const users = new Map<string, { id: string; name: string; realName: string }>()
  const channels = new Map<string, Channel>()
  const calls: FakeSlackCall[] = []
  const posts: FakeSlackPost[] = []
  const rateLimits: Array<{ seconds: number; method: string | undefined }> = []
  const failures: Array<{ method: string; error: string }> = []
  let tsCounter = 0
  let envelopeCounter = 0
  let ticket = 0
  const nextTs = () => `1700000000.${String(++tsCounter).padStart(6, "0")}`
  users.set(bot.userId, { id: bot.userId, name: "stormbot", realName: "StormBot" })

  const tokenKind = (token: string | undefined): FakeSlackCall["tokenKind"] =>
    token === undefined ? "none" : token === botToken ? "bot" : token === appToken ? "app" : "other"

  const userJson = (u: { id: string; name: string; realName: string }) => ({
    id: u.id,
    name: u.name,
    real_name: u.realName,
    deleted: false,
    is_bot: u.id === bot.userId,
    profile: { display_name: u.realName, real_name: u.realName },
  })
  const channelJson = (c: Channel) =>
    c.isIm
      ? { id: c.id, is_im: true, user: c.user }
      : {
          id: c.id,
          name: c.name,
          is_channel: !c.isPrivate,
          is_group: c.isPrivate,
          is_private: c.isPrivate,
          is_im: false,
          is_archived: c.archived,
          is_member: c.members === undefined || c.members.includes(bot.userId),
        }

  type Answer = { status?: number; headers?: Record<string, string>; body: Record<string, unknown> }
  const ok = (body: Record<string, unknown> = {}): Answer => ({ body: { ok: true, ...body } })
  const err = (error: string): Answer => ({ body: { ok: false, error } })

  const visibleText = (p: Record<string, unknown>, attachments: unknown, blocks: unknown): string => {
    if (typeof p.text === "string" && p.text !== "") return p.text
    const a = Array.isArray(attachments)
      ? (attachments[0] as { text?: string; fallback?: string } | undefined)
      : undefined
    if (a !== undefined) return a.text ?? a.fallback ?? ""
    if (Array.isArray(blocks))
      return blocks.map((b: { text?: { text?: string } }) => b?.text?.text ?? "").join("\n")
    return ""
  }
  const json = (v: unknown) => {
    if (typeof v !== "string") return v
    try {
      return JSON.parse(v)
    } catch {
      return v
    }
  }

  const post = (method: FakeSlackPost["method"], p: Record<string, unknown>): Answer => {
    const channelId = String(p.channel ?? "")
    const channel = channels.get(channelId)
    if (channel === undefined) return err("channel_not_found")
    if (channel.archived) return err("is_archived")
    if (!channel.isIm && channel.members !== undefined && !channel.members.includes(bot.userId))
      return err("not_in_channel")
    const attachments = json(p.attachments)
    const blocks = json(p.blocks)
    if (blocks !== undefined && !Array.isArray(blocks)) return err("invalid_blocks")
    if (attachments !== undefined && !Array.isArray(attachments)) return err("invalid_attachments")
    if (Array.isArray(blocks) && blocks.length > 50) return err("invalid_blocks")
    const text = visibleText(p, attachments, blocks)
    if (text === "" && attachments === undefined && blocks === undefined) return err("no_text")
    if (typeof p.text === "string" && p.text.length > 40_000) return err("msg_too_long")
    if (method === "chat.postEphemeral") {
      const user = String(p.user ?? "")
      if (!users.has(user)) return err("user_not_found")
      if (channel.members !== undefined && !channel.members.includes(user)) return err("user_not_in_channel")
    }
    const ts = nextTs()
    posts.push({
      method,
      channel: channelId,
      text,
      thread_ts: typeof p.thread_ts === "string" && p.thread_ts !== "" ? p.thread_ts : undefined,
      user: method === "chat.postEphemeral" ? String(p.user) : undefined,
      attachments: attachments as FakeSlackPost["attachments"],
      blocks: blocks as FakeSlackPost["blocks"],
      ts,
    })
    return ok(method === "chat.postMessage" ? { channel: channelId, ts } : { message_ts: ts })
  }

  const handle = (method: string, p: Record<string, unknown>, token: string | undefined): Answer => {
    const kind = tokenKind(token)
    calls.push({ method, params: p, tokenKind: kind })
    const limit = rateLimits.findIndex((r) =>
      r.method === undefined ? method.startsWith("chat.") : r.method === method,
    )
    if (limit !== -1) {
      const [r] = rateLimits.splice(limit, 1)
      return {
        status: 429,
        headers: { "Retry-After": String(r!.seconds) },
        body: { ok: false, error: "ratelimited" },
      }
    }
    const failure = failures.findIndex((f) => f.method === method)
    if (failure !== -1) return err(failures.splice(failure, 1)[0]!.error)
    if (kind === "none") return err("not_authed")
    if (kind === "other") return err("invalid_auth")
    if (method === "apps.connections.open") {
      if (kind !== "app") return err("not_allowed_token_type")
      ticket += 1
      return ok({ url: `${socketUrl}/link/?ticket=${ticket}&app_id=A0FAKE` })
    }
    if (kind !== "bot") return err("not_allowed_token_type")
    switch (method) {
      case "auth.test":
        return ok({
          url: "https://fake.slack.com/",
          team: "Fake",
          user: "stormbot",
          team_id: "T0FAKE",
          user_id: bot.userId,
          bot_id: bot.botId,
        })
      case "chat.postMessage":
      case "chat.postEphemeral":
        return post(method, p)
      case "conversations.open": {
        const user = String(p.users ?? "").split(",")[0] ?? ""
        if (!users.has(user)) return err("user_not_found")
        const existing = [...channels.values()].find((c) => c.isIm && c.user === user)
        const im = existing ?? {
          id: `D${user}`,
          name: `D${user}`,
          isPrivate: true,
          archived: false,
          isIm: true,
          user,
        }
        channels.set(im.id, im)
        return ok({ channel: { id: im.id } })
      }
      case "conversations.info": {
        const c = channels.get(String(p.channel ?? ""))
        return c === undefined ? err("channel_not_found") : ok({ channel: channelJson(c) })
      }
      case "conversations.list": {
        const all = [...channels.values()].filter(
          (c) => !c.isIm && !(p.exclude_archived === "true" && c.archived),
        )
        // Two pages, to exercise cursors.
        const start = p.cursor === "page2" ? 1 : 0
        const page = start === 0 ? all.slice(0, 1) : all.slice(1)
        return ok({
          channels: page.map(channelJson),
          response_metadata: { next_cursor: start === 0 && all.length > 1 ? "page2" : "" },
        })
      }
      case "users.info": {
        const u = users.get(String(p.user ?? ""))
        return u === undefined ? err("user_not_found") : ok({ user: userJson(u) })
      }
      case "users.list":
        return ok({ members: [...users.values()].map(userJson), response_metadata: { next_cursor: "" } })
      default:
        return err("unknown_method")
    }
  }

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let data = ""
      req.setEncoding("utf8")
      req.on("data", (c: string) => {
        data += c
      })
      req.on("end", () => resolve(data))
      req.on("error", reject)
    })

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const m = /^\/api\/([\w.]+)$/.exec(url.pathname)
      if (req.method !== "POST" || m === null) {
        res.writeHead(404).end()
        return
      }
      const raw = await readBody(req)
      const type = req.headers["content-type"] ?? ""
      const params: Record<string, unknown> = type.includes("application/json")
        ? (JSON.parse(raw || "{}") as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(raw))
      const auth = req.headers.authorization
      const token = auth?.startsWith("Bearer ")
        ? auth.slice(7)
        : typeof params.token === "string"
          ? params.token
          : undefined
      delete params.token
      const answer = handle(m[1]!, params, token)
      res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
      res.end(JSON.stringify(answer.body))
    })().catch((e: unknown) => {
      res.writeHead(500).end(String(e))
    })
  }
  const server: Server =
    options.tls === undefined ? createServer(onRequest) : createTlsServer(options.tls, onRequest)
  const socketServer: Server =
    options.socketTls === undefined
      ? server
      : createTlsServer(options.socketTls, (_req, res) => res.writeHead(404).end())

  const wss = new WebSocketServer({ noServer: true })
  const open = new Set<WebSocket>()
  let newest: WebSocket | undefined
  let opened = 0
  const openWaiters: Array<{ n: number; resolve: () => void }> = []
  const ackWaiters = new Map<string, () => void>()
  socketServer.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!(req.url ?? "").startsWith("/link/")) {
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      open.add(ws)
      newest = ws
      opened += 1
      ws.on("message", (data) => {
        const m = JSON.parse(String(data)) as { envelope_id?: string }
        if (m.envelope_id !== undefined) {
          ackWaiters.get(m.envelope_id)?.()
          ackWaiters.delete(m.envelope_id)
        }
      })
      ws.on("close", () => {
        open.delete(ws)
        if (newest === ws) newest = [...open].at(-1)
      })
      ws.send(
        JSON.stringify({ type: "hello", num_connections: open.size, connection_info: { app_id: "A0FAKE" } }),
      )
      for (const w of openWaiters.filter((w) => opened >= w.n)) {
        openWaiters.splice(openWaiters.indexOf(w), 1)
        w.resolve()
      }
    })
  })

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port
  if (socketServer !== server)
    await new Promise<void>((resolve) => socketServer.listen(0, "127.0.0.1", resolve))
  const socketPort = (socketServer.address() as AddressInfo).port
  const socketUrl = `${options.tls === undefined && options.socketTls === undefined ? "ws" : "wss"}://127.0.0.1:${socketPort}`

  const callbackBody = (event: Record<string, unknown>) => ({
    token: "verification-token",
    team_id: "T0FAKE",
    api_app_id: "A0FAKE",
    event: { event_ts: event.ts, ...event },
    type: "event_callback",
    event_id: `Ev${++envelopeCounter}`,
    event_time: 1_700_000_000,
    authorizations: [{ team_id: "T0FAKE", user_id: bot.userId, is_bot: true }],
  })

  const signedPost = async (url: string, body: string, secret: string, timestamp: number) => {
    const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": signature,
      },
      body,
    })
    return { status: res.status, body: await res.text() }
  }

  return {
    url: `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}/api`,
    botToken,
    appToken,
    signingSecret,
    bot,
    addUser: (u) => void users.set(u.id, { id: u.id, name: u.name, realName: u.realName ?? u.name }),
    addChannel: (c) =>
      void channels.set(c.id, {
        id: c.id,
        name: c.name,
        isPrivate: c.isPrivate ?? false,
        archived: c.archived ?? false,
        isIm: false,
        ...(c.members === undefined ? {} : { members: c.members }),
      }),
    calls,
    posts,
    rateLimitNext: (seconds, method) => void rateLimits.push({ seconds, method }),
    failNext: (method, error) => void failures.push({ method, error }),
    sockets: () => ({ opened, open: open.size }),
    socketOpened: (n) =>
      opened >= n ? Promise.resolve() : new Promise<void>((resolve) => openWaiters.push({ n, resolve })),
    sendEvent: (event) => {
      const ws = newest
      if (ws === undefined || ws.readyState !== WebSocket.OPEN)
        return Promise.reject(new Error("no open Socket Mode connection"))
      const envelope_id = `env-${++envelopeCounter}`
      return new Promise<void>((resolve) => {
        ackWaiters.set(envelope_id, resolve)
        ws.send(
          JSON.stringify({
            envelope_id,
            payload: callbackBody(event),
            type: "events_api",
            accepts_response_payload: false,
            retry_attempt: 0,
            retry_reason: "",
          }),
        )
      })
    },
    requestReconnect: (reason = "refresh_requested") => {
      for (const ws of open)
        ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "fake" } }))
    },
    dropSockets: () => {
      for (const ws of open) ws.terminate()
    },
    postEvent: (url, event, o = {}) =>
      signedPost(
        url,
        JSON.stringify(callbackBody(event)),
        o.secret ?? signingSecret,
        o.timestamp ?? Math.floor(Date.now() / 1000),
      ),
    verifyUrl: (url, challenge) =>
      signedPost(
        url,
        JSON.stringify({ token: "verification-token", challenge, type: "url_verification" }),
        signingSecret,
        Math.floor(Date.now() / 1000),
      ),
    message: (m) => {
      const channel = channels.get(m.channel)
      return {
        type: "message",
        channel: m.channel,
        channel_type: m.channel.startsWith("D") ? "im" : channel?.isPrivate ? "group" : "channel",
        user: m.user,
        text: m.text,
        ts: nextTs(),
        ...(m.thread_ts === undefined ? {} : { thread_ts: m.thread_ts }),
        ...(m.subtype === undefined ? {} : { subtype: m.subtype }),
        ...(m.bot_id === undefined ? {} : { bot_id: m.bot_id }),
      }
    },
    close: async () => {
      for (const ws of open) ws.terminate()
      wss.close()
      for (const s of new Set([server, socketServer])) {
        s.closeAllConnections()
        await new Promise<void>((resolve) => s.close(() => resolve()))
      }
    },
  }
}
