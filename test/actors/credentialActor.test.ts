import { Effect, Either, Exit, Layer, Logger, Redacted, Scope } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { waitFor } from "xstate"
import { type BotCredentialOptions, makeBotCredential } from "../../src/actors/BotCredentialLive.ts"
import { type SandboxHandle, startSandbox } from "../../src/sandbox/Sandbox.ts"
import type { CredentialSource } from "../../src/st2/CredentialSource.ts"
import { St2Client, St2ClientLive } from "../../src/st2/St2Client.ts"
import { BotCredential, type CredentialUnavailable, type St2Credential } from "../../src/st2/St2Credential.ts"
import type { St2Error } from "../../src/st2/St2Error.ts"
import { withBotCredential } from "../../src/st2/withBotCredential.ts"

let sb: SandboxHandle
beforeAll(async () => {
  sb = await startSandbox({
    port: 0,
    users: [
      { name: "st2admin", password: "Ch@ngeMe", api_keys: ["bot-key", { key: "off-key", enabled: false }] },
    ],
  })
})
afterAll(async () => {
  await sb.stop()
})
beforeEach(() => sb.faults.reset())

const password: CredentialSource = {
  _tag: "Password",
  username: "st2admin",
  password: Redacted.make("Ch@ngeMe"),
}
const fastRetry = { retryBaseMs: 20, retryMaxMs: 100 }

/** St2ClientLive with every token POST counted (what the sandbox saw on /auth/v1/tokens). */
const countingClient = (url: string) => {
  const counts = { tokenPosts: 0, userCalls: 0 }
  const layer = Layer.effect(
    St2Client,
    Effect.map(St2Client, (client) => ({
      ...client,
      createToken: (...args: Parameters<typeof client.createToken>) =>
        Effect.suspend(() => {
          counts.tokenPosts++
          return client.createToken(...args)
        }),
      currentUser: (credential: St2Credential) =>
        Effect.suspend(() => {
          counts.userCalls++
          return client.currentUser(credential)
        }),
    })),
  ).pipe(
    Layer.provide(
      St2ClientLive({
        authUrl: `${url}/auth/v1`,
        apiUrl: `${url}/api/v1`,
        streamUrl: `${url}/stream/v1`,
        verifyCert: true,
        requestTimeoutMs: 2_000,
      }),
    ),
  )
  return { counts, layer }
}

/** Starts the credential actor in its own scope; `logs` collects every log line. */
const startActor = async (options: BotCredentialOptions, url = sb.url) => {
  const { counts, layer } = countingClient(url)
  const logs: string[] = []
  const logger = Logger.make(({ logLevel, message }) => {
    logs.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
  })
  const scope = Effect.runSync(Scope.make())
  const runtimeLayer = Layer.mergeAll(layer, Logger.replace(Logger.defaultLogger, logger))
  const context = await Effect.runPromise(Layer.buildWithScope(runtimeLayer, scope))
  const made = await Effect.runPromise(
    Scope.extend(makeBotCredential(options), scope).pipe(
      Effect.provide(context),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
    ),
  )
  const provide = <A, E>(e: Effect.Effect<A, E, St2Client | BotCredential>) =>
    Effect.runPromise(
      Effect.either(e).pipe(Effect.provideService(BotCredential, made.service), Effect.provide(context)),
    )
  return {
    ...made,
    counts,
    logs,
    provide,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void)),
  }
}

const currentUser = withBotCredential((c: St2Credential) =>
  Effect.flatMap(St2Client, (st2) => st2.currentUser(c)),
)

describe("the credential actor against the sandbox", () => {
  it("logs in with a password, renews once when st2 says the token expired", async () => {
    const a = await startActor({ source: password })
    try {
      const first = Either.getOrThrow(await a.provide(BotCredential.pipe(Effect.flatMap((b) => b.get))))
      expect(first._tag).toBe("Token")
      expect(a.counts.tokenPosts).toBe(1)
      sb.faults.expireAllTokens()
      const me = Either.getOrThrow(await a.provide(currentUser))
      expect(me.username).toBe("st2admin")
      expect(a.counts.tokenPosts).toBe(2)
      const second = a.actor.getSnapshot().context.credential!
      expect(second._tag === "Token" && first._tag === "Token" && Redacted.value(second.token)).not.toBe(
        first._tag === "Token" && Redacted.value(first.token),
      )
      expect(a.logs.some((l) => l.startsWith("INFO renewed the StackStorm token of st2admin"))).toBe(true)
    } finally {
      await a.close()
    }
  })

  it("50 concurrent requests on an expired token: one token POST, zero failures", async () => {
    const a = await startActor({ source: password })
    try {
      Either.getOrThrow(await a.provide(currentUser))
      expect(a.counts.tokenPosts).toBe(1)
      sb.faults.expireAllTokens()
      a.counts.userCalls = 0
      const results = await a.provide(
        Effect.all(
          Array.from({ length: 50 }, () => currentUser),
          { concurrency: "unbounded" },
        ),
      )
      const users = Either.getOrThrow(
        results as Either.Either<ReadonlyArray<{ username: string }>, St2Error | CredentialUnavailable>,
      )
      expect(users).toHaveLength(50)
      expect(users.every((u) => u.username === "st2admin")).toBe(true)
      expect(a.counts.tokenPosts).toBe(2)
      // Each request went out twice: once with the expired token (401), once after the renewal.
      expect(a.counts.userCalls).toBe(100)
    } finally {
      await a.close()
    }
  })

  it("renews on its own before the token expires", async () => {
    const short = await startSandbox({ port: 0, tokenTtlSeconds: 1 })
    const a = await startActor({ source: password, timings: { minRenewMs: 100 } }, short.url)
    try {
      await waitFor(a.actor, (s) => s.matches("authenticated"))
      // lifetime ~1 s, renewal at 90%: no request ever sees an expired token.
      await waitFor(a.actor, (s) => s.matches("renewing"), { timeout: 5_000 })
      await waitFor(a.actor, (s) => s.matches("authenticated"), { timeout: 5_000 })
      expect(a.counts.tokenPosts).toBe(2)
      expect(Either.getOrThrow(await a.provide(currentUser)).username).toBe("st2admin")
    } finally {
      await a.close()
      await short.stop()
    }
  })

  it("a rejected API key: failed, a clear log line, get fails permanently, nothing crashes", async () => {
    const a = await startActor({ source: { _tag: "ApiKey", key: Redacted.make("off-key") } })
    try {
      await waitFor(a.actor, (s) => s.matches("failed"))
      const got = await a.provide(BotCredential.pipe(Effect.flatMap((b) => b.get)))
      expect(Either.isLeft(got) && got.left).toMatchObject({ _tag: "CredentialUnavailable", permanent: true })
      const line = a.logs.find((l) => l.startsWith("ERROR"))!
      expect(line).toContain("StackStorm rejected the API key (stackstorm.api_auth.key / ST2_API_KEY)")
      expect(line).toContain("Unauthorized - API key is disabled.")
      expect(line).toContain("To fix: create a key with `st2 apikey create -k`")
      expect(a.logs.join("\n")).not.toContain("off-key")
      expect(a.actor.getSnapshot().status).toBe("active")
    } finally {
      await a.close()
    }
  })

  it("a valid API key that is later reported rejected moves to failed", async () => {
    const a = await startActor({ source: { _tag: "ApiKey", key: Redacted.make("bot-key") } })
    try {
      expect(Either.getOrThrow(await a.provide(currentUser)).username).toBe("st2admin")
      expect(a.actor.getSnapshot().value).toEqual({ authenticated: "static" })
      const fake = await a.provide(
        withBotCredential(() =>
          Effect.flatMap(St2Client, (st2) =>
            st2.currentUser({ _tag: "ApiKey", key: Redacted.make("off-key") }),
          ),
        ),
      )
      expect(Either.isLeft(fake)).toBe(true)
      expect(a.actor.getSnapshot().value).toBe("failed")
    } finally {
      await a.close()
    }
  })

  it("auth down at start: get answers at once, retries with backoff, authenticated when it comes back", async () => {
    sb.faults.setApiMode("unavailable")
    // A wait longer than the test's own timeout: `get` must answer from `retrying` without waiting.
    const a = await startActor({ source: password, timings: fastRetry, waitTimeoutMs: 600_000 })
    try {
      await waitFor(a.actor, (s) => s.matches("retrying") && s.context.attempt >= 3, { timeout: 5_000 })
      const early = await a.provide(BotCredential.pipe(Effect.flatMap((b) => b.get)))
      expect(Either.isLeft(early) && early.left).toMatchObject({
        _tag: "CredentialUnavailable",
        permanent: false,
      })
      expect(Either.isLeft(early) && early.left.message).toContain("Nginx is unable to reach st2auth")
      expect(a.logs.some((l) => l.startsWith("WARN cannot log in to StackStorm"))).toBe(true)
      sb.faults.setApiMode("ok")
      await waitFor(a.actor, (s) => s.matches("authenticated"), { timeout: 5_000 })
      expect(Either.getOrThrow(await a.provide(currentUser)).username).toBe("st2admin")
    } finally {
      await a.close()
    }
  })

  it("auth down, then back: get after a RETRY_NOW waits for that early login and gets its token", async () => {
    sb.faults.setApiMode("unavailable")
    // A backoff far longer than the test: only the early login can answer within it.
    const a = await startActor({
      source: password,
      timings: { retryBaseMs: 600_000, retryMaxMs: 600_000, retryNowGapMs: 200 },
    })
    try {
      await waitFor(a.actor, (s) => s.matches("retrying"), { timeout: 5_000 })
      expect(a.counts.tokenPosts).toBe(1)
      a.actor.send({ type: "RETRY_NOW" })
      expect(a.actor.getSnapshot().context.retryNow).toBe("asked")
      sb.faults.setApiMode("ok")
      const user = await a.provide(currentUser)
      expect(Either.getOrThrow(user).username).toBe("st2admin")
      expect(a.counts.tokenPosts).toBe(2)
    } finally {
      await a.close()
    }
  })

  it("a static token that expires: failed, with advice to use something renewable", async () => {
    const t = await Effect.runPromise(
      Effect.flatMap(St2Client, (st2) =>
        st2.createToken({ username: "st2admin", password: Redacted.make("Ch@ngeMe") }),
      ).pipe(Effect.provide(countingClient(sb.url).layer)),
    )
    const a = await startActor({ source: { _tag: "Token", token: t.token } })
    try {
      Either.getOrThrow(await a.provide(currentUser))
      sb.faults.expireAllTokens()
      const out = await a.provide(currentUser)
      expect(Either.isLeft(out) && out.left).toMatchObject({ _tag: "CredentialUnavailable", permanent: true })
      expect(a.actor.getSnapshot().value).toBe("failed")
      expect(a.logs.find((l) => l.startsWith("ERROR"))).toContain("static tokens expire")
      expect(a.counts.tokenPosts).toBe(0)
    } finally {
      await a.close()
    }
  })

  it("stops the actor when its scope closes; get then fails instead of hanging", async () => {
    const a = await startActor({ source: password })
    await waitFor(a.actor, (s) => s.matches("authenticated"))
    await a.close()
    expect(a.actor.getSnapshot().status).toBe("stopped")
    const got = await a.provide(BotCredential.pipe(Effect.flatMap((b) => b.get)))
    expect(Either.isLeft(got) && got.left).toMatchObject({ _tag: "CredentialUnavailable", permanent: false })
  })
})
