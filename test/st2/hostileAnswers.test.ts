import { Effect, Either, Redacted } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { describeFailure } from "../../src/bot/describeFailure.ts"
import { makeSt2Client, St2Client, St2ClientLive } from "../../src/st2/St2Client.ts"
import type { St2Credential } from "../../src/st2/St2Credential.ts"
import { makeDispatcher } from "../../src/st2/St2Endpoints.ts"
import { describeSt2Error, type St2Error } from "../../src/st2/St2Error.ts"
import { type HostileAnswer, type HostileServer, startHostileServer } from "./hostileServer.ts"
import { eventually } from "./streamServer.ts"

/** The limit under test: small, so the bound on what was read is plain against the server's 64 MiB. */
const LIMIT = 64 * 1024
/**
 * Most the server may have written when the client gives up at `LIMIT`: the limit, plus what the
 * kernel's socket buffers on both sides of a loopback connection hold (a few MiB at most).
 * The server stops by itself at 64 MiB: a client without the bound reads all of it.
 */
const WRITTEN_BOUND = 16 * 1024 * 1024

const key: St2Credential = { _tag: "ApiKey", key: Redacted.make("hostile-test-key") }
const user = '{"username":"stanley","authentication":{"method":"api key"}}'
const ok = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${user.length}\r\n\r\n${user}`

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c()
})

/** A client over a transport bounded at `LIMIT`, against a server whose first connection misbehaves. */
const against = async (first: HostileAnswer) => {
  const server = await startHostileServer((n) => (n === 1 ? first : { head: ok }))
  closers.push(server.close)
  const dispatcher = makeDispatcher({ verifyCert: true }, { maxResponseBytes: LIMIT })
  closers.push(() => dispatcher.destroy())
  // The request timeout is a hang guard only: every case here fails long before it.
  const client = makeSt2Client(
    { authUrl: `${server.url}/auth/v1`, apiUrl: `${server.url}/api/v1`, requestTimeoutMs: 30_000 },
    dispatcher,
  )
  const currentUser = () => Effect.runPromise(Effect.either(client.currentUser(key)))
  return { server, currentUser }
}

const expectTooLarge = (result: Either.Either<unknown, St2Error>) => {
  if (Either.isRight(result)) throw new Error("expected St2ResponseTooLarge, got an answer")
  const error = result.left
  if (error._tag !== "St2ResponseTooLarge") throw new Error(`expected St2ResponseTooLarge, got ${error._tag}`)
  return error
}

/** The connection was destroyed by the client (never pooled), and it read a bounded amount. */
const expectBounded = async (server: HostileServer) => {
  await eventually("the client closed the connection", () => server.connections[0]?.closed === true)
  expect(server.connections[0]?.exhausted).toBe(false)
  expect(server.connections[0]?.written).toBeLessThan(WRITTEN_BOUND)
}

const jsonHead = (status: string, extra = "") =>
  `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\n${extra}\r\n`

describe("answers larger than limits.max_response_bytes", () => {
  it("a close-delimited body without end fails with St2ResponseTooLarge once past the limit", async () => {
    const { server, currentUser } = await against({
      head: jsonHead("200 OK", "Connection: close\r\n"),
      body: { prefix: '{"username":"', repeat: "x".repeat(16 * 1024) },
    })
    const error = expectTooLarge(await currentUser())
    expect(error).toMatchObject({
      method: "GET",
      path: "/api/v1/user",
      status: 200,
      limitBytes: LIMIT,
      part: "body",
    })
    expect(error.declaredBytes).toBeUndefined()
    await expectBounded(server)
    // Nothing of the body is carried, logged or shown.
    expect(JSON.stringify(error)).not.toContain("xxxx")
    expect(describeSt2Error(error)).toContain(`larger than ${LIMIT} bytes (limits.max_response_bytes)`)
    expect(describeFailure(error)).toContain("StackStorm's answer was larger than stormbot reads")
    // The next call gets a fresh connection and its answer.
    const next = await currentUser()
    expect(Either.isRight(next) && next.right.username).toBe("stanley")
    expect(server.connections).toHaveLength(2)
  })

  it("a chunked body without end fails the same way, an error status included", async () => {
    const { server, currentUser } = await against({
      head: jsonHead("503 Service Unavailable", "Transfer-Encoding: chunked\r\n"),
      body: { repeat: "y".repeat(8 * 1024), chunked: true },
    })
    const error = expectTooLarge(await currentUser())
    expect(error).toMatchObject({ status: 503, limitBytes: LIMIT, part: "body" })
    await expectBounded(server)
  })

  it("a declared Content-Length over the limit (999 GB) fails before the body is read", async () => {
    const { server, currentUser } = await against({
      head: jsonHead("200 OK", "Content-Length: 999000000000\r\nX-Request-ID: hostile-1\r\n"),
      body: { repeat: "z".repeat(16 * 1024) },
    })
    const error = expectTooLarge(await currentUser())
    expect(error).toMatchObject({ declaredBytes: 999_000_000_000, limitBytes: LIMIT, requestId: "hostile-1" })
    expect(describeSt2Error(error)).toContain("declared 999000000000 bytes")
    await expectBounded(server)
    const next = await currentUser()
    expect(Either.isRight(next)).toBe(true)
    expect(server.connections).toHaveLength(2)
  })

  it("St2ClientLive takes the limit from its endpoints (runBot: limits.max_response_bytes)", async () => {
    const server = await startHostileServer({
      head: jsonHead("200 OK", "Connection: close\r\n"),
      body: { repeat: "x".repeat(16 * 1024) },
    })
    closers.push(server.close)
    const result = await Effect.runPromise(
      Effect.flatMap(St2Client, (c) => c.currentUser(key)).pipe(
        Effect.either,
        Effect.provide(
          St2ClientLive({
            authUrl: `${server.url}/auth/v1`,
            apiUrl: `${server.url}/api/v1`,
            streamUrl: `${server.url}/stream/v1`,
            verifyCert: true,
            requestTimeoutMs: 30_000,
            maxResponseBytes: LIMIT,
          }),
        ),
      ),
    )
    expect(expectTooLarge(result).limitBytes).toBe(LIMIT)
    await expectBounded(server)
  })

  it("an answer of exactly the limit is read whole; one byte more is not", async () => {
    const answerOf = (size: number) => {
      const body = `{"username":"${"u".repeat(size - 47)}","authentication":{"method":"x"}}`
      expect(body.length).toBe(size)
      return { head: `${jsonHead("200 OK", `Content-Length: ${size}\r\n`)}${body}` }
    }
    const atLimit = await against(answerOf(LIMIT))
    const read = await atLimit.currentUser()
    expect(Either.isRight(read) && read.right.username.length).toBe(LIMIT - 47)
    const over = await against(answerOf(LIMIT + 1))
    expect(expectTooLarge(await over.currentUser()).declaredBytes).toBe(LIMIT + 1)
  })
})
