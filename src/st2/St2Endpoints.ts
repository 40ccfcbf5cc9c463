import { Redacted } from "effect"
import { makeSt2Transport, type St2Transport } from "./St2Transport.ts"

/**
 * Where StackStorm is and how to reach it. TLS settings apply to stormbot's own connections
 * only (a transport per client), never to the whole process.
 */
export interface St2Endpoints {
  /** e.g. `https://st2/auth/v1` (no trailing slash) */
  readonly authUrl: string
  /** e.g. `https://st2/api/v1` */
  readonly apiUrl: string
  /** e.g. `https://st2/stream/v1` (the stream itself is `${streamUrl}/stream`) */
  readonly streamUrl: string
  readonly verifyCert: boolean
  /**
   * PEM text of the CA certificates to trust (the file's contents, already read). They replace
   * Node's bundled roots for this client (Node's `ca`), they are not added to them.
   */
  readonly caCert?: string | undefined
  /** PEM client certificate and key, for StackStorm behind TLS client authentication. */
  readonly clientCert?: string | undefined
  readonly clientKey?: Redacted.Redacted<string> | undefined
  /** Timeout of every non-stream request. */
  readonly requestTimeoutMs: number
  /**
   * Largest answer body read (`limits.max_response_bytes`; default 16 MiB): by every call, and by
   * the stream for one event.
   */
  readonly maxResponseBytes?: number | undefined
}

/**
 * The connections of one client (`St2Transport`: keep-alive, a bounded pool), carrying the TLS
 * choices of `endpoints`. `bodyTimeoutMs`: longest silence on a request's socket; 0 or absent
 * means none (requests have their own timer; the stream machine owns the stream's liveness).
 * `maxResponseBytes`: largest body a call reads (default 16 MiB).
 * Close it with `close()` (waits for requests in flight) or `destroy()`.
 */
export const makeDispatcher = (
  endpoints: Pick<St2Endpoints, "verifyCert" | "caCert" | "clientCert" | "clientKey">,
  options: {
    readonly bodyTimeoutMs?: number
    readonly maxSockets?: number
    readonly maxResponseBytes?: number | undefined
  } = {},
): St2Transport =>
  makeSt2Transport(
    {
      rejectUnauthorized: endpoints.verifyCert,
      ca: endpoints.caCert,
      cert: endpoints.clientCert,
      key: endpoints.clientKey === undefined ? undefined : Redacted.value(endpoints.clientKey),
    },
    {
      idleTimeoutMs: options.bodyTimeoutMs,
      maxSockets: options.maxSockets,
      maxResponseBytes: options.maxResponseBytes,
    },
  )
