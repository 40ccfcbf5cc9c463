/** How the stream endpoint answers: normally, 503 JSON, or nginx's "st2stream is down" body. */
export type StreamMode = "ok" | "unavailable" | "nginx-retry"

/** How st2api and st2auth answer: normally, 503 JSON (nginx's error page), or after a delay. */
export type ApiMode = "ok" | "unavailable" | { readonly delayMs: number }

/** Fault controls for tests; every one is also reachable over HTTP under `/__sandbox/`. */
export interface SandboxFaults {
  /** Destroys every open stream connection. */
  dropStreams(): void
  setStreamMode(mode: StreamMode): void
  /** Every issued token now answers `Unauthorized - Token has expired.` */
  expireAllTokens(): void
  setApiMode(mode: ApiMode): void
  /** Times out every pending inquiry (as st2 does once their ttl passes); answers then get 400. */
  expireInquiries(): void
  /** Back to normal: stream and API modes `ok`. (Expired tokens stay expired.) */
  reset(): void
}

/** nginx's answers when the st2 services behind it are down (st2's stock nginx.conf). */
export const nginxDown = {
  api: '{ "faultstring": "Nginx is unable to reach st2api. Make sure service is running." }',
  auth: '{ "faultstring": "Nginx is unable to reach st2auth. Make sure service is running." }',
  stream: '{ "faultstring": "Nginx is unable to reach st2stream. Make sure service is running." }',
  streamRetry: "retry: 1000\n\n",
} as const
