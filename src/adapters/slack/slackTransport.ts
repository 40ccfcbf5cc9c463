import type { Socket } from "node:net"
import type { webApi } from "@slack/bolt"
import { Agent, buildConnector, fetch as undiciFetch } from "undici"
import { type AdapterTlsConfig, tlsConnectOptions } from "../AdapterTls.ts"

type FetchFunction = NonNullable<webApi.WebClientOptions["fetch"]>

/**
 * The Slack adapter's outbound connections, with its `tls` set explicitly on each (Bolt and
 * the Web API otherwise use the process-wide `fetch` and undici's default connector, which obey
 * `NODE_TLS_REJECT_UNAUTHORIZED`). The Events API receiver (mode `http`) is a server and opens
 * none.
 */
export interface SlackTransport {
  /** For every Web API client: the adapter's, Bolt's, and Socket Mode's `apps.connections.open`. */
  readonly fetch: FetchFunction
  /** A dispatcher for one Socket Mode session's WebSockets (undici's `WebSocket`). */
  readonly openSocketDispatcher: () => SocketDispatcher
}

export interface SocketDispatcher {
  readonly dispatcher: Agent
  /**
   * Destroys the sockets it opened. undici's WebSocket detaches its socket from the pool, so
   * closing the dispatcher alone would not end a socket whose peer never finished the close
   * handshake; the SDK's own dispatcher keeps the socket for the same reason.
   */
  readonly destroySockets: () => void
  /**
   * Why the latest connection attempt failed (a refused certificate...), if it did: undici's
   * WebSocket reports a failed handshake without its cause.
   */
  readonly lastConnectError: () => Error | undefined
  readonly close: () => Promise<void>
}

export const makeSlackTransport = (tls: AdapterTlsConfig): SlackTransport => {
  const options = tlsConnectOptions(tls)
  const agent = new Agent({ connect: options })
  const fetch: FetchFunction = (url, init) =>
    undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    }) as unknown as ReturnType<FetchFunction>
  const openSocketDispatcher = (): SocketDispatcher => {
    const sockets = new Set<Socket>()
    let lastError: Error | undefined
    // HTTP/1.1 only, as the SDK's own dispatcher: the WebSocket needs a socket of its own.
    const connect = buildConnector({ allowH2: false, ...options })
    const dispatcher = new Agent({
      connect: (opts, callback) => {
        lastError = undefined
        connect(opts, (error, socket) => {
          if (!socket) {
            lastError = error ?? new Error("the Socket Mode connector gave no socket")
            return callback(lastError, null)
          }
          sockets.add(socket)
          socket.once("close", () => sockets.delete(socket))
          callback(null, socket)
        })
      },
    })
    const destroySockets = () => {
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    }
    return {
      dispatcher,
      destroySockets,
      lastConnectError: () => lastError,
      close: async () => {
        destroySockets()
        await dispatcher.destroy().catch(() => {})
      },
    }
  }
  return { fetch, openSocketDispatcher }
}
