import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { createActor, fromPromise, type InspectionEvent, SimulatedClock, waitFor } from "xstate"
import {
  type CredentialMachineInput,
  credentialMachine,
  type LoginFailure,
  type LoginInput,
  type LoginOutput,
} from "../../src/machines/credentialMachine.ts"
import type { CredentialSource } from "../../src/st2/CredentialSource.ts"
import type { St2Credential } from "../../src/st2/St2Credential.ts"

const password: CredentialSource = { _tag: "Password", username: "bot", password: Redacted.make("pw") }
const apiKey: CredentialSource = { _tag: "ApiKey", key: Redacted.make("k1") }
const staticToken: CredentialSource = { _tag: "Token", token: Redacted.make("t0") }

const token = (n: number): St2Credential => ({ _tag: "Token", token: Redacted.make(`token-${n}`) })
const unavailable: LoginFailure = { _tag: "LoginFailure", kind: "unavailable", detail: "ECONNREFUSED" }
const rejected: LoginFailure = {
  _tag: "LoginFailure",
  kind: "rejected",
  detail: "401 Unauthorized - API key is disabled.",
}

/** A login child whose every call the test settles by hand. */
const scriptedLogin = () => {
  const calls: Array<{
    input: LoginInput
    resolve: (o: LoginOutput) => void
    reject: (e: LoginFailure) => void
    aborted: () => boolean
  }> = []
  const logic = fromPromise<LoginOutput, LoginInput>(
    ({ input, signal }) =>
      new Promise((resolve, reject) => {
        calls.push({ input, resolve, reject, aborted: () => signal.aborted })
      }),
  )
  return { calls, logic }
}

const flush = () => new Promise((r) => setImmediate(r))

const start = (
  source: CredentialSource,
  extra: Partial<CredentialMachineInput> = {},
  inspect?: (e: InspectionEvent) => void,
) => {
  const login = scriptedLogin()
  const clock = new SimulatedClock()
  const errors: unknown[] = []
  const actor = createActor(credentialMachine.provide({ actors: { login: login.logic } }), {
    input: { source, random: () => 1, ...extra },
    clock,
    ...(inspect === undefined ? {} : { inspect }),
  })
  actor.subscribe({ error: (e) => errors.push(e) })
  actor.start()
  return { actor, clock, login, errors }
}

describe("credentialMachine", () => {
  it("logs in with a password and renews at 90% of the token's lifetime", async () => {
    const { actor, clock, login } = start(password)
    expect(actor.getSnapshot().value).toBe("authenticating")
    expect(login.calls).toHaveLength(1)
    login.calls[0]!.resolve({ credential: token(1), username: "bot", lifetimeMs: 100_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))
    expect(actor.getSnapshot().value).toEqual({ authenticated: "renewalScheduled" })
    expect(actor.getSnapshot().context.credential).toEqual(token(1))

    clock.increment(89_999)
    expect(actor.getSnapshot().matches("authenticated")).toBe(true)
    clock.increment(1)
    expect(actor.getSnapshot().value).toBe("renewing")
    expect(login.calls).toHaveLength(2)
    // The old token is still valid during a scheduled renewal: `get` keeps handing it out.
    expect(actor.getSnapshot().context.credential).toEqual(token(1))

    login.calls[1]!.resolve({ credential: token(2), username: "bot", lifetimeMs: 10_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))
    expect(actor.getSnapshot().context.credential).toEqual(token(2))
    clock.increment(9_000)
    expect(actor.getSnapshot().value).toBe("renewing")
    expect(login.calls).toHaveLength(3)
  })

  it("renews once for many concurrent reports of the same expired token, ignoring stale ones", async () => {
    const { actor, login } = start(password)
    login.calls[0]!.resolve({ credential: token(1), username: "bot", lifetimeMs: 3_600_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))

    for (let i = 0; i < 50; i++) actor.send({ type: "UNAUTHORIZED", credential: token(1), reason: "expired" })
    expect(actor.getSnapshot().value).toBe("renewing")
    expect(actor.getSnapshot().context.credential).toBeUndefined()
    expect(login.calls).toHaveLength(2)

    login.calls[1]!.resolve({ credential: token(2), username: "bot", lifetimeMs: 3_600_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))
    // Late reports about token 1 do not touch token 2.
    for (let i = 0; i < 10; i++) actor.send({ type: "UNAUTHORIZED", credential: token(1), reason: "expired" })
    expect(actor.getSnapshot().matches("authenticated")).toBe(true)
    expect(actor.getSnapshot().context.credential).toEqual(token(2))
    expect(login.calls).toHaveLength(2)
  })

  it("passes through tokenExpired when st2 says the token expired", async () => {
    const seen: unknown[] = []
    const { actor, login } = start(password, {}, (e) => {
      if (e.type === "@xstate.microstep" && e.actorRef.sessionId === e.rootId) seen.push(e.snapshot)
    })
    login.calls[0]!.resolve({ credential: token(1), username: "bot", lifetimeMs: 3_600_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))
    actor.send({ type: "UNAUTHORIZED", credential: token(1), reason: "expired" })
    // `always` transitions are microsteps: tokenExpired shows in inspection, the renewal starts at once.
    expect(seen.map((x) => (x as { value: unknown }).value)).toContain("tokenExpired")
    expect(actor.getSnapshot().value).toBe("renewing")
    expect(login.calls[1]!.input.source).toBe(password)
  })

  it("a report of the old token during a scheduled renewal forgets it without a second login", async () => {
    const { actor, clock, login } = start(password)
    login.calls[0]!.resolve({ credential: token(1), username: "bot", lifetimeMs: 10_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))
    clock.increment(9_000)
    expect(actor.getSnapshot().value).toBe("renewing")
    actor.send({ type: "UNAUTHORIZED", credential: token(1), reason: "expired" })
    expect(actor.getSnapshot().value).toBe("renewing")
    expect(actor.getSnapshot().context.credential).toBeUndefined()
    expect(login.calls).toHaveLength(2)
    expect(login.calls[1]!.aborted()).toBe(false)
  })

  it("retries an unavailable auth service with capped exponential backoff", async () => {
    const { actor, clock, login } = start(password, {
      timings: { retryBaseMs: 1_000, retryMaxMs: 8_000 },
      random: () => 1, // the top of each jitter window
    })
    const delays: number[] = []
    for (let attempt = 1; attempt <= 6; attempt++) {
      login.calls[attempt - 1]!.reject(unavailable)
      await waitFor(actor, (s) => s.matches("retrying"))
      const { retryDelayMs, attempt: a } = actor.getSnapshot().context
      expect(a).toBe(attempt)
      delays.push(retryDelayMs)
      clock.increment(retryDelayMs - 1)
      expect(actor.getSnapshot().value).toBe("retrying")
      expect(login.calls).toHaveLength(attempt)
      clock.increment(1)
      expect(actor.getSnapshot().value).toBe("authenticating")
      expect(login.calls).toHaveLength(attempt + 1)
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000])
    expect(actor.getSnapshot().context.lastFailure).toEqual(unavailable)

    login.calls[6]!.resolve({ credential: token(1), username: "bot", lifetimeMs: 60_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))
    expect(actor.getSnapshot().context.attempt).toBe(0)
  })

  it("caps the default backoff at 10 s: after a long outage the next login is at most 10 s away", async () => {
    const { actor, clock, login } = start(password, { random: () => 1 })
    const delays: number[] = []
    // 60 s of outage and more: the waits grow to the cap and stay there.
    for (let attempt = 1; attempt <= 9; attempt++) {
      login.calls[attempt - 1]!.reject(unavailable)
      await waitFor(actor, (s) => s.matches("retrying"))
      const { retryDelayMs } = actor.getSnapshot().context
      delays.push(retryDelayMs)
      clock.increment(retryDelayMs)
      expect(login.calls).toHaveLength(attempt + 1)
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000, 10_000])
  })

  it("RETRY_NOW while waiting out a backoff logs in at once; many of them cause one login", async () => {
    const { actor, clock, login } = start(password, { random: () => 1 })
    for (let attempt = 1; attempt <= 5; attempt++) {
      login.calls[attempt - 1]!.reject(unavailable)
      await waitFor(actor, (s) => s.matches("retrying"))
      clock.increment(actor.getSnapshot().context.retryDelayMs)
    }
    login.calls[5]!.reject(unavailable)
    await waitFor(actor, (s) => s.matches("retrying"))
    expect(actor.getSnapshot().context.retryDelayMs).toBe(10_000)
    clock.increment(1_000) // the gap after the failure has passed
    expect(login.calls).toHaveLength(6)
    for (let i = 0; i < 50; i++) actor.send({ type: "RETRY_NOW" })
    expect(actor.getSnapshot().value).toBe("authenticating")
    expect(login.calls).toHaveLength(7)
    login.calls[6]!.resolve({ credential: token(1), username: "bot", lifetimeMs: 600_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))
    // The backoff's own timer was cancelled with the state: no further login.
    clock.increment(10_000)
    expect(login.calls).toHaveLength(7)
    for (let i = 0; i < 5; i++) actor.send({ type: "RETRY_NOW" })
    expect(login.calls).toHaveLength(7)
  })

  it("RETRY_NOW right after a failure logs in when the gap has passed, not before and not twice", async () => {
    const { actor, clock, login } = start(password, {
      timings: { retryBaseMs: 8_000, retryMaxMs: 10_000, retryNowGapMs: 1_000 },
      random: () => 1,
    })
    login.calls[0]!.reject(unavailable)
    await waitFor(actor, (s) => s.matches("retrying"))
    expect(actor.getSnapshot().context.retryNow).toBe("holding")
    clock.increment(400)
    actor.send({ type: "RETRY_NOW" })
    actor.send({ type: "RETRY_NOW" })
    expect(actor.getSnapshot().value).toBe("retrying")
    expect(actor.getSnapshot().context.retryNow).toBe("asked")
    clock.increment(599)
    expect(login.calls).toHaveLength(1)
    clock.increment(1)
    expect(actor.getSnapshot().value).toBe("authenticating")
    expect(login.calls).toHaveLength(2)
    // Failing again holds early retries for another gap.
    login.calls[1]!.reject(unavailable)
    await waitFor(actor, (s) => s.matches("retrying"))
    expect(actor.getSnapshot().context.retryNow).toBe("holding")
    actor.send({ type: "RETRY_NOW" })
    expect(login.calls).toHaveLength(2)
    clock.increment(1_000)
    expect(login.calls).toHaveLength(3)
  })

  it("without RETRY_NOW the gap changes nothing: the login comes at the end of the backoff", async () => {
    const { actor, clock, login } = start(password, {
      timings: { retryBaseMs: 8_000, retryMaxMs: 10_000, retryNowGapMs: 1_000 },
      random: () => 1,
    })
    login.calls[0]!.reject(unavailable)
    await waitFor(actor, (s) => s.matches("retrying"))
    clock.increment(7_999)
    expect(actor.getSnapshot().context.retryNow).toBe("open")
    expect(login.calls).toHaveLength(1)
    clock.increment(1)
    expect(login.calls).toHaveLength(2)
  })

  it("jitters each retry between half and all of the capped delay", async () => {
    const { actor, login } = start(apiKey, {
      timings: { retryBaseMs: 1_000, retryMaxMs: 8_000 },
      random: () => 0,
    })
    login.calls[0]!.reject(unavailable)
    await waitFor(actor, (s) => s.matches("retrying"))
    expect(actor.getSnapshot().context.retryDelayMs).toBe(500)
  })

  it("fails, with a message naming the credential and the fix, when st2 rejects the API key at start", async () => {
    const { actor, clock, login, errors } = start(apiKey)
    login.calls[0]!.reject(rejected)
    await waitFor(actor, (s) => s.matches("failed"))
    const message = actor.getSnapshot().context.rejection!.message
    expect(message).toContain("the API key (stackstorm.api_auth.key / ST2_API_KEY)")
    expect(message).toContain("API key is disabled")
    expect(message).toContain("st2 apikey create")
    expect(message).not.toContain("k1")
    clock.increment(3_600_000)
    expect(login.calls).toHaveLength(1)
    expect(actor.getSnapshot().status).toBe("active")
    expect(errors).toEqual([])
  })

  it("fails when a password is rejected", async () => {
    const { actor, login } = start(password)
    login.calls[0]!.reject({
      _tag: "LoginFailure",
      kind: "rejected",
      detail: "401 Invalid or missing credentials",
    })
    await waitFor(actor, (s) => s.matches("failed"))
    expect(actor.getSnapshot().context.rejection!.message).toContain('st2 user "bot"')
  })

  it("moves a validated API key to failed when a request reports it rejected; no login is attempted", async () => {
    const { actor, login } = start(apiKey)
    const key: St2Credential = { _tag: "ApiKey", key: Redacted.make("k1") }
    login.calls[0]!.resolve({ credential: key, username: "bot" })
    await waitFor(actor, (s) => s.matches("authenticated"))
    expect(actor.getSnapshot().value).toEqual({ authenticated: "static" })
    actor.send({ type: "UNAUTHORIZED", credential: key, reason: "disabledKey" })
    expect(actor.getSnapshot().value).toBe("failed")
    expect(actor.getSnapshot().context.credential).toBeUndefined()
    expect(actor.getSnapshot().context.rejection!.message).toContain("the API key is disabled")
    expect(login.calls).toHaveLength(1)
  })

  it("never renews a static token, and fails when st2 says it expired", async () => {
    const { actor, clock, login } = start(staticToken)
    const t: St2Credential = { _tag: "Token", token: Redacted.make("t0") }
    login.calls[0]!.resolve({ credential: t, username: "bot", lifetimeMs: 1_000 })
    await waitFor(actor, (s) => s.matches("authenticated"))
    clock.increment(10_000_000)
    expect(actor.getSnapshot().value).toEqual({ authenticated: "static" })
    expect(login.calls).toHaveLength(1)
    actor.send({ type: "UNAUTHORIZED", credential: t, reason: "expired" })
    expect(actor.getSnapshot().value).toBe("failed")
    expect(actor.getSnapshot().context.rejection!.message).toContain("static tokens expire")
  })

  it("treats a login that throws something unexpected as an outage, not a crash", async () => {
    const { actor, login, errors } = start(password)
    ;(login.calls[0]!.reject as (e: unknown) => void)(new Error("boom"))
    await waitFor(actor, (s) => s.matches("retrying"))
    expect(actor.getSnapshot().context.lastFailure?.detail).toContain("boom")
    expect(errors).toEqual([])
  })

  it("stopping the actor aborts an in-flight login", async () => {
    const { actor, login } = start(password)
    actor.stop()
    await flush()
    expect(login.calls[0]!.aborted()).toBe(true)
  })
})
