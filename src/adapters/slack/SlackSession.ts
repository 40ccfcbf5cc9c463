import type { AddressInfo } from "node:net"
import { App, HTTPReceiver, type Logger, SocketModeReceiver, type webApi } from "@slack/bolt"
import type { ConnectionStatus } from "../ChatAdapter.ts"
import { connectionFailureStatus } from "./slackErrors.ts"
import type { SlackBotIdentity, SlackMessageEvent } from "./slackInboundMessage.ts"
import type { SlackTransport, SocketDispatcher } from "./slackTransport.ts"

export interface SlackSessionOptions {
  readonly mode: "socket" | "http"
  readonly botToken: string
  readonly appToken?: string | undefined
  readonly signingSecret?: string | undefined
  /** Web API base with its trailing slash (Bolt's `slackApiUrl`). */
  readonly slackApiUrl: string
  /** The explicit-TLS `fetch` and WebSocket dispatcher every client of the session uses. */
  readonly transport: SlackTransport
  readonly http: { readonly host: string; readonly port: number; readonly path: string }
  /** Socket Mode: how long to wait for a pong (the SDK's `clientPingTimeout`). */
  readonly clientPingTimeoutMs?: number | undefined
  readonly logger: Logger
  /** The bot's Web API client (also used for `auth.test`). */
  readonly client: webApi.WebClient
  readonly setStatus: (status: ConnectionStatus) => void
  /** Called once `auth.test` told who the bot is, before any event is delivered. */
  readonly onIdentity: (bot: SlackBotIdentity) => void
  /** Every `message` and `app_mention` event, in arrival order. */
  readonly onEvent: (event: SlackMessageEvent) => void
}

export interface SlackSession {
  /** Stops the Bolt app (socket or HTTP listener); later SDK events are ignored. */
  readonly close: () => Promise<void>
  /** Where the HTTP Events API receiver listens, once it does (mode `http`). */
  readonly httpAddress: () => AddressInfo | undefined
}

/**
 * One Bolt session. Opening: `auth.test` with the bot token (who the bot is; a bad token is
 * `InvalidCredentials` here), then the receiver: Socket Mode (`apps.connections.open` with the
 * app-level token, then the WebSocket until Slack's `hello`) or the HTTP Events API listener
 * (Bolt's `HTTPReceiver` verifies `X-Slack-Signature` with the signing secret and answers
 * `url_verification`). Status: `Connected` on hello / listening. In Socket Mode the SDK's own
 * reconnect loop is off (it retries forever in a hidden timer and can reject unobserved): when the
 * socket closes under us (Slack's `disconnect` message, a dropped connection) the session reports
 * `Reconnecting` and opens a new socket itself; if that fails it reports `Disconnected`, and the
 * adapter-connection machine backs off and opens a new session.
 *
 * Every client the session makes (Bolt's, Socket Mode's) uses `transport`: the adapter's `tls`,
 * explicit on each connection, never the process default.
 */
export const openSlackSession = (o: SlackSessionOptions): SlackSession => {
  let closing = false
  let app: App | undefined
  let server: { address(): AddressInfo | string | null } | undefined
  let sockets: SocketDispatcher | undefined
  const set = (s: ConnectionStatus) => {
    if (!closing) o.setStatus(s)
  }

  const run = async () => {
    let bot: SlackBotIdentity
    try {
      const auth = await o.client.auth.test()
      bot = {
        userId: String(auth.user_id ?? ""),
        botId: auth.bot_id === undefined ? undefined : String(auth.bot_id),
      }
    } catch (e) {
      set(connectionFailureStatus(e, "the bot token was refused (auth.test)"))
      return
    }
    if (closing) return
    o.onIdentity(bot)
    const authorize = async () => ({ botToken: o.botToken, botId: bot.botId, botUserId: bot.userId })
    const clientOptions = {
      slackApiUrl: o.slackApiUrl,
      fetch: o.transport.fetch,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    }
    const handler = async ({ event }: { event: unknown }) => o.onEvent(event as SlackMessageEvent)

    if (o.mode === "socket") {
      const ws = o.transport.openSocketDispatcher()
      sockets = ws
      const receiver = new SocketModeReceiver({
        appToken: o.appToken ?? "",
        dispatcher: ws.dispatcher,
        logger: o.logger,
        autoReconnectEnabled: false,
        ...(o.clientPingTimeoutMs === undefined ? {} : { clientPingTimeout: o.clientPingTimeoutMs }),
        installerOptions: { clientOptions },
      })
      app = new App({ receiver, socketMode: true, authorize, logger: o.logger, clientOptions })
      app.event("message", handler)
      app.event("app_mention", handler)
      const socket = receiver.client
      let reason = "the Socket Mode connection closed"
      // The SDK rejects a failed WebSocket without the cause (a refused certificate...): keep it.
      let socketError: unknown
      socket.on("error", (e: unknown) => {
        socketError = e
      })
      const failedOpening = (e: unknown, again = false) => {
        const opening = again ? "reopening" : "opening"
        return e === undefined
          ? connectionFailureStatus(
              ws.lastConnectError() ?? socketError,
              `${opening} the Socket Mode WebSocket failed`,
            )
          : connectionFailureStatus(e, `${opening} the Socket Mode connection failed (apps.connections.open)`)
      }
      let started = false
      let restarting = false
      socket.on("ws_message", (data: unknown) => {
        const text = typeof data === "string" ? data : Buffer.from(data as ArrayBuffer).toString("utf8")
        if (!text.includes('"disconnect"')) return
        try {
          const m = JSON.parse(text) as { type?: string; reason?: string }
          if (m.type === "disconnect") reason = `Slack asked to reconnect (${m.reason ?? "no reason"})`
        } catch {}
      })
      socket.on("connected", () => {
        reason = "the Socket Mode connection closed"
        set({ _tag: "Connected" })
      })
      socket.on("disconnected", () => {
        // The closed WebSocket's socket goes, even if Slack never finished the close handshake.
        ws.destroySockets()
        if (closing || !started || restarting) return
        restarting = true
        set({ _tag: "Reconnecting", reason })
        socket.start().then(
          () => {
            restarting = false
          },
          (e: unknown) => {
            restarting = false
            set(failedOpening(e, true))
          },
        )
      })
      try {
        await app.start()
        started = true
      } catch (e) {
        set(failedOpening(e))
        await socket.disconnect().catch(() => {})
      }
      if (closing) await socket.disconnect().catch(() => {})
      return
    }

    const receiver = new HTTPReceiver({
      signingSecret: o.signingSecret ?? "",
      endpoints: o.http.path,
      logger: o.logger,
      // Slack wants an answer within 3 s; stormbot only queues the message, so ack at once.
      processBeforeResponse: false,
    })
    app = new App({ receiver, authorize, logger: o.logger, clientOptions })
    app.event("message", handler)
    app.event("app_mention", handler)
    try {
      server = await receiver.start({ port: o.http.port, host: o.http.host })
    } catch (e) {
      set({
        _tag: "Disconnected",
        reason: `the Events API listener cannot listen on ${o.http.host}:${o.http.port}: ${(e as Error).message}`,
      })
      return
    }
    if (closing) {
      await receiver.stop().catch(() => {})
      return
    }
    set({ _tag: "Connected" })
  }

  const running = run().catch((e: unknown) => set(connectionFailureStatus(e, "the Slack session failed")))

  return {
    close: async () => {
      closing = true
      await app?.stop().catch(() => {})
      await sockets?.close()
      // A start still in flight notices `closing` and stops what it opened.
      await Promise.race([running, Promise.resolve()])
    },
    httpAddress: () => {
      const a = server?.address()
      return a === null || a === undefined || typeof a === "string" ? undefined : a
    },
  }
}
