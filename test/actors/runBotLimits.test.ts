import { Effect, Either, Exit, HashMap, Logger, LogLevel, Redacted, Scope } from "effect"
import { afterEach, expect, it } from "vitest"
import { runBot } from "../../src/actors/runBot.ts"
import { decodeConfig } from "../../src/config/decodeConfig.ts"
import { DEFAULT_USER, startSandbox } from "../../src/sandbox/Sandbox.ts"
import { makeFakeChatAdapter } from "../fakes/FakeChatAdapter.ts"
import { startHostileServer } from "../st2/hostileServer.ts"
import { eventually } from "../st2/streamServer.ts"

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

const SECRET = "limits-test-webhook-secret"
const sseHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=UTF-8\r\n\r\n"

it("runBot wires limits.max_response_bytes and stream_silence into the stream, max_request_bytes into the web server", async () => {
  const sandbox = await startSandbox({ port: 0, resultDelayMs: 30 })
  closers.push(() => sandbox.stop())
  // The API is the sandbox; the stream a hostile server: first an endless line, then headers and silence.
  const stream = await startHostileServer((n) =>
    n === 1
      ? { head: sseHead, body: { prefix: "\ndata: ", repeat: "x".repeat(8 * 1024) } }
      : { head: sseHead },
  )
  closers.push(stream.close)
  const decoded = decodeConfig({
    stackstorm: {
      url: sandbox.url,
      stream_url: `${stream.url}/stream/v1`,
      api_auth: { user: { name: DEFAULT_USER.name, password: DEFAULT_USER.password } },
    },
    web: { enabled: true, port: 0, webhook_secret: SECRET },
    limits: { max_response_bytes: 65_536, stream_silence: 1, max_request_bytes: 1024 },
  })
  if (Either.isLeft(decoded)) throw new Error(`bad test config: ${JSON.stringify(decoded.left)}`)
  const logs: Array<LogLine> = []
  const logger = Logger.make(({ logLevel, message, annotations }) =>
    logs.push({
      level: logLevel.label,
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(HashMap.toEntries(annotations)),
    }),
  )
  const scope = Effect.runSync(Scope.make())
  closers.push(() => Effect.runPromise(Scope.close(scope, Exit.void)))
  const bot = await Effect.runPromise(
    runBot({
      config: decoded.right.config,
      adapters: [makeFakeChatAdapter({ maxMessageLength: 4_000 })],
      credential: {
        _tag: "Password",
        username: DEFAULT_USER.name,
        password: Redacted.make(DEFAULT_USER.password),
      },
      drainTimeoutMs: 1_000,
    }).pipe(
      Scope.extend(scope),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Info),
    ),
  )

  // max_response_bytes bounds one stream event.
  await eventually("the endless line is cut", () =>
    logs.some((l) => l.message.startsWith("stream closed: StackStorm sent an event (or line) larger than")),
  )
  expect(logs.find((l) => l.message.startsWith("stream closed"))?.message).toContain("(65536 bytes)")
  expect(stream.connections[0]?.written).toBeLessThan(16 * 1024 * 1024)
  // stream_silence: 1 s without a byte on the second connection, and it is dead.
  await eventually(
    "the silent stream is given up",
    () =>
      logs.some(
        (l) =>
          l.message === "stream reconnecting" &&
          l.annotations.reason === "nothing heard for 1000 ms while connected",
      ),
    15_000,
  )

  // max_request_bytes bounds the webhook.
  const post = (size: number) => {
    const empty = JSON.stringify({ channel: "#ops", message: "" })
    return fetch(`${bot.webUrl}/chatops/message`, {
      method: "POST",
      headers: { Authorization: `Bearer ${SECRET}`, "Content-Type": "application/json" },
      body: JSON.stringify({ channel: "#ops", message: "m".repeat(size - empty.length) }),
    })
  }
  expect((await post(1025)).status).toBe(413)
  expect((await post(1024)).status).toBe(202)
})
