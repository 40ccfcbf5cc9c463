import { Redacted } from "effect"
import { Agent, type Dispatcher } from "undici"

/**
 * Where StackStorm is and how to reach it. TLS settings apply to stormbot's own connections
 * only (a dispatcher per client), never to the whole process.
 */
export interface St2Endpoints {
  /** e.g. `https://st2/auth/v1` (no trailing slash) */
  readonly authUrl: string
  /** e.g. `https://st2/api/v1` */
  readonly apiUrl: string
  /** e.g. `https://st2/stream/v1` (the stream itself is `${streamUrl}/stream`) */
  readonly streamUrl: string
  readonly verifyCert: boolean
  /** PEM text of extra CA certificates (the file's contents, already read). */
  readonly caCert?: string | undefined
  /** PEM client certificate and key, for StackStorm behind TLS client authentication. */
  readonly clientCert?: string | undefined
  readonly clientKey?: Redacted.Redacted<string> | undefined
  /** Timeout of every non-stream request. */
  readonly requestTimeoutMs: number
}

/**
 * An undici dispatcher carrying the TLS choices of `endpoints`. Use it with undici's own `fetch`
 * (`import { fetch } from "undici"`), not Node's global fetch, whose bundled undici differs.
 * `bodyTimeoutMs: 0` disables undici's body timeout (the stream does its own liveness check).
 */
export const makeDispatcher = (
  endpoints: Pick<St2Endpoints, "verifyCert" | "caCert" | "clientCert" | "clientKey">,
  options: { readonly bodyTimeoutMs?: number } = {},
): Dispatcher =>
  new Agent({
    connect: {
      rejectUnauthorized: endpoints.verifyCert,
      ...(endpoints.caCert === undefined ? {} : { ca: endpoints.caCert }),
      ...(endpoints.clientCert === undefined ? {} : { cert: endpoints.clientCert }),
      ...(endpoints.clientKey === undefined ? {} : { key: Redacted.value(endpoints.clientKey) }),
    },
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeout: options.bodyTimeoutMs }),
  })
