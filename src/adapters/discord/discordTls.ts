import type { IncomingMessage } from "node:http"
import { isIP } from "node:net"
import { checkServerIdentity, connect as tlsConnect, TLSSocket } from "node:tls"
import { type IShardingStrategy, SimpleShardingStrategy } from "discord.js"
import { Agent } from "undici"
import { type AdapterTlsConfig, tlsConnectOptions } from "../AdapterTls.ts"

/**
 * The Discord adapter's TLS, explicit on both of discord.js's connections so that
 * `NODE_TLS_REJECT_UNAUTHORIZED` reaches neither.
 *
 * REST (`@discordjs/rest`, undici): `rest.agent`, an undici `Agent` whose `connect` options
 * carry the adapter's `tls`.
 *
 * The gateway (`@discordjs/ws`, the `ws` package): discord.js 14 opens it with no TLS options
 * of its own and offers no hook for them. So the check is made on the socket after the TLS
 * handshake and before the WebSocket's first frame is read, which is before the token can be
 * sent (it goes in IDENTIFY, the answer to the gateway's HELLO):
 * - `verify` without `ca_file`: the socket must be one Node verified (its roots and
 *   `NODE_EXTRA_CA_CERTS`, the host name included); Node computes this even when
 *   `NODE_TLS_REJECT_UNAUTHORIZED=0` made it accept the connection.
 * - `verify` with `ca_file`: the socket is held while a second TLS connection to the same
 *   address, with `ca` and `rejectUnauthorized: true`, checks the certificate against the CA; the
 *   gateway socket must have presented that same certificate (its handshake proved it holds the
 *   key).
 * - `verify: false`: no check.
 * A refused socket is closed at once and `onRefused` says why. A discord.js whose gateway
 * cannot be reached this way fails closed.
 */
export const discordRestAgent = (tls: AdapterTlsConfig): Agent =>
  new Agent({ connect: tlsConnectOptions(tls) })

/** `@discordjs/ws`'s manager (discord.js exports its own class under the same name). */
type GatewayManager = ConstructorParameters<typeof SimpleShardingStrategy>[0]

/** How long the second connection of a `ca_file` check may take. */
const PROBE_TIMEOUT_MS = 10_000

/** discord.js's `ws.buildStrategy`: its default strategy, with every gateway socket checked. */
export const checkedGatewayStrategy =
  (tls: AdapterTlsConfig, onRefused: (reason: string) => void) =>
  (manager: GatewayManager): IShardingStrategy => {
    const strategy = new SimpleShardingStrategy(manager)
    if (!tls.verify) return strategy
    const spawn = strategy.spawn.bind(strategy)
    strategy.spawn = async (shardIds) => {
      await spawn(shardIds)
      const shards = (strategy as unknown as { shards?: { values?: () => Iterable<object> } }).shards
      if (typeof shards?.values !== "function") throw unsupported()
      for (const shard of shards.values()) watchShard(shard, tls, onRefused)
    }
    return strategy
  }

const unsupported = () =>
  new Error(
    "stormbot cannot check the TLS certificate of this discord.js version's gateway connection; refusing to connect",
  )

/** Each WebSocket the shard opens (its `connection`) is checked once its TLS handshake is done. */
const watchShard = (shard: object, tls: AdapterTlsConfig, onRefused: (reason: string) => void) => {
  let connection: unknown = (shard as { connection?: unknown }).connection ?? null
  Object.defineProperty(shard, "connection", {
    configurable: true,
    enumerable: true,
    get: () => connection,
    set: (ws: unknown) => {
      connection = ws
      if (ws !== null && ws !== undefined) watchSocket(ws as GatewaySocket, tls, onRefused)
    },
  })
}

/** What is used of a `ws` WebSocket (discord.js's gateway connection). */
interface GatewaySocket {
  readonly url?: string
  once?: (event: "upgrade", listener: (res: IncomingMessage) => void) => unknown
  terminate?: () => void
  close?: () => void
}

const watchSocket = (ws: GatewaySocket, tls: AdapterTlsConfig, onRefused: (reason: string) => void) => {
  const refuse = (reason: string) => {
    if (typeof ws.terminate === "function") ws.terminate()
    else ws.close?.()
    onRefused(reason)
  }
  if (typeof ws.once !== "function") return refuse(unsupported().message)
  ws.once("upgrade", (res) => {
    const socket = res.socket
    // `ws://` (a local fake or proxy): there is no certificate to check.
    if (!(socket instanceof TLSSocket)) return
    if (tls.ca === undefined) {
      if (!socket.authorized) refuse(`${String(socket.authorizationError)}, checked against Node's CA store`)
      return
    }
    // Nothing is read (no HELLO, so no IDENTIFY) until the certificate is confirmed.
    socket.pause()
    confirmAgainstCa(ws.url, socket, tls.ca).then(
      () => socket.resume(),
      (e: unknown) => refuse(e instanceof Error ? e.message : String(e)),
    )
  })
}

/** Resolves when `socket`'s certificate is one a connection trusting only `ca` accepts for the host. */
const confirmAgainstCa = (url: string | undefined, socket: TLSSocket, ca: string): Promise<void> => {
  const presented = socket.getPeerCertificate().fingerprint256
  const host = url === undefined ? undefined : new URL(url).hostname.replace(/^\[|\]$/g, "")
  const address = socket.remoteAddress
  const port = socket.remotePort
  if (host === undefined || address === undefined || port === undefined || presented === undefined)
    return Promise.reject(new Error("cannot tell where the gateway socket is connected"))
  return new Promise<void>((resolve, reject) => {
    const probe = tlsConnect({
      host: address,
      port,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ca,
      rejectUnauthorized: true,
      checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
    })
    probe.setTimeout(PROBE_TIMEOUT_MS, () => probe.destroy(new Error("the certificate check timed out")))
    probe.once("secureConnect", () => {
      const checked = probe.getPeerCertificate().fingerprint256
      probe.destroy()
      if (checked === presented) resolve()
      else
        reject(
          new Error(
            "the gateway socket presented another certificate than the one checked against tls.ca_file",
          ),
        )
    })
    probe.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new Error(`${e.message}${e.code === undefined ? "" : ` (${e.code})`}, checked against tls.ca_file`),
      ),
    )
  })
}
