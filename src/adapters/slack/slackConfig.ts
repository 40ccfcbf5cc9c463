import type { Redacted } from "effect"
import type { AdapterTlsConfig } from "../AdapterTls.ts"

/** A decoded `type: slack` entry of the configuration (`slackDefinition.ts`). Secrets are `Redacted`. */
export type SlackConfig = {
  readonly type: "slack"
  readonly name: string
  readonly mode: "socket" | "http"
  readonly botToken: Redacted.Redacted<string>
  /** Socket Mode's app-level token (`xapp-...`). */
  readonly appToken?: Redacted.Redacted<string> | undefined
  /** The HTTP Events API's signing secret. */
  readonly signingSecret?: Redacted.Redacted<string> | undefined
  /** The Web API base (GovSlack and proxies use other hosts), without trailing slash. */
  readonly apiUrl: string
  /** Where the HTTP Events API receiver listens (mode `http`). */
  readonly http: { readonly host: string; readonly port: number; readonly path: string }
  /** The Web API's and the Socket Mode WebSocket's TLS (the Events API listener is a server). */
  readonly tls: AdapterTlsConfig
}
