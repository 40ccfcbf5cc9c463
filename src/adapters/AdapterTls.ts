/**
 * TLS of the network adapters (docs/adapters.md): each takes the configuration's `tls` and
 * passes `tlsConnectOptions` explicitly to every connection its SDK opens, so the process-wide
 * `NODE_TLS_REJECT_UNAUTHORIZED` never decides whether a chat token travels over a checked
 * connection.
 */

/** A network adapter's decoded `tls`: what its SDK's connections are given, explicitly. */
export interface AdapterTlsConfig {
  /** Check the platform's certificate (`rejectUnauthorized`). */
  readonly verify: boolean
  /** PEM contents of `tls.ca_file`, read at load: the CAs trusted instead of Node's roots. */
  readonly ca?: string | undefined
  /**
   * Whether the file set `tls.verify` or `tls.ca_file`. An adapter that did not is the one
   * `NODE_TLS_REJECT_UNAUTHORIZED=0` with `insecure_tls_for_all: true` turns to `verify: false`.
   */
  readonly explicit: boolean
}

/** An adapter built without a `tls` (tests, embedding): the certificate is checked against Node's roots. */
export const VERIFIED_TLS: AdapterTlsConfig = { verify: true, explicit: false }

/** Options for undici's `connect` and `tls.connect`. `rejectUnauthorized` is always set. */
export const tlsConnectOptions = (
  tls: AdapterTlsConfig,
): { readonly rejectUnauthorized: boolean; readonly ca?: string } =>
  tls.ca === undefined ? { rejectUnauthorized: tls.verify } : { rejectUnauthorized: tls.verify, ca: tls.ca }

/** OpenSSL's verification codes and Node's host name check, as Node reports them in `code`. */
const CERTIFICATE_CODES =
  /^(?:DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)$/

/**
 * The refused certificate in a failure, if that is what it is: `self-signed certificate
 * (DEPTH_ZERO_SELF_SIGNED_CERT)`. Looks through `cause` (undici, fetch) and `original` (Slack's
 * Web API errors).
 */
export const certificateFailure = (e: unknown): string | undefined => {
  let current = e
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const { code, message, cause, original } = current as {
      code?: unknown
      message?: unknown
      cause?: unknown
      original?: unknown
    }
    if (typeof code === "string" && CERTIFICATE_CODES.test(code)) return `${String(message)} (${code})`
    current = cause ?? original
  }
  return undefined
}

/** The advice that goes with a `certificateFailure`. */
export const CERTIFICATE_HINT =
  "if the platform is reached through a proxy that presents its own certificate, give the adapter tls.ca_file with that proxy's CA"
