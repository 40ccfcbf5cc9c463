import { fetch } from "undici"
import { type SandboxHandle, type SandboxOptions, startSandbox } from "../../src/sandbox/Sandbox.ts"

export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary st2 JSON answers
  readonly body: any
}

export const call = async (
  sb: { url: string },
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> => {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...options.headers,
    },
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
  })
  const text = await res.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: res.status, headers: res.headers as unknown as Headers, text, body }
}

export const login = async (sb: SandboxHandle, user = "st2admin", password = "Ch@ngeMe", body?: unknown) =>
  call(sb, "POST", "/auth/v1/tokens", { headers: { Authorization: basic(user, password) }, body })

export const tokenOf = async (sb: SandboxHandle) => (await login(sb)).body.token as string

export const withSandbox = async (options: SandboxOptions = {}) =>
  startSandbox({ resultDelayMs: 5, ...options })

/** Reads an SSE response until `until(text)` holds; answers everything read so far. */
export const readStream = async (
  body: ReadableStream<Uint8Array>,
  until: (text: string) => boolean,
): Promise<string> => {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ""
  while (!until(text)) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
  }
  reader.releaseLock()
  return text
}

/** Polls `GET /api/v1/executions/{id}` until it reaches a final status. */
export const waitFinished = async (sb: SandboxHandle, id: string, headers: Record<string, string>) => {
  for (;;) {
    const r = await call(sb, "GET", `/api/v1/executions/${id}`, { headers })
    if (["succeeded", "failed", "timeout", "canceled", "abandoned", "pending"].includes(r.body.status))
      return r.body
    await new Promise((res) => setTimeout(res, 5))
  }
}
