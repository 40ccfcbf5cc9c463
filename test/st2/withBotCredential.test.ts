import { Effect, Either, Layer, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { BotCredential, type St2Credential } from "../../src/st2/St2Credential.ts"
import { St2Unauthorized, type UnauthorizedReason } from "../../src/st2/St2Error.ts"
import { withBotCredential } from "../../src/st2/withBotCredential.ts"

const tok = (n: number): St2Credential => ({ _tag: "Token", token: Redacted.make(`t${n}`) })
const unauthorized = (reason: UnauthorizedReason) =>
  new St2Unauthorized({ method: "GET", path: "/api/v1/x", status: 401, faultstring: "f", reason })

/** A BotCredential that hands out t1, then t2 after a report. */
const fakeBot = () => {
  let current = 1
  const reports: Array<{ credential: St2Credential; reason: UnauthorizedReason }> = []
  const layer = Layer.succeed(BotCredential, {
    get: Effect.sync(() => tok(current)),
    peek: () => tok(current),
    reportUnauthorized: (credential, error) =>
      Effect.sync(() => {
        reports.push({ credential, reason: error.reason })
        current++
      }),
  })
  return { layer, reports }
}

const tokenOf = (c: St2Credential) => (c._tag === "Token" ? Redacted.value(c.token) : "key")

describe("withBotCredential", () => {
  it("reports an expired token and retries once with the next credential", async () => {
    const bot = fakeBot()
    const used: string[] = []
    const out = await Effect.runPromise(
      withBotCredential((c) => {
        used.push(tokenOf(c))
        return used.length === 1 ? Effect.fail(unauthorized("expired")) : Effect.succeed("ok")
      }).pipe(Effect.provide(bot.layer)),
    )
    expect(out).toBe("ok")
    expect(used).toEqual(["t1", "t2"])
    expect(bot.reports).toEqual([{ credential: tok(1), reason: "expired" }])
  })

  it("retries only once", async () => {
    const bot = fakeBot()
    let calls = 0
    const out = await Effect.runPromise(
      Effect.either(
        withBotCredential(() => {
          calls++
          return Effect.fail(unauthorized("unknownToken"))
        }).pipe(Effect.provide(bot.layer)),
      ),
    )
    expect(calls).toBe(2)
    expect(Either.isLeft(out) && out.left._tag).toBe("St2Unauthorized")
    expect(bot.reports).toHaveLength(2)
  })

  it("reports a rejected API key without retrying", async () => {
    const bot = fakeBot()
    let calls = 0
    const out = await Effect.runPromise(
      Effect.either(
        withBotCredential(() => {
          calls++
          return Effect.fail(unauthorized("disabledKey"))
        }).pipe(Effect.provide(bot.layer)),
      ),
    )
    expect(calls).toBe(1)
    expect(Either.isLeft(out)).toBe(true)
    expect(bot.reports.map((r) => r.reason)).toEqual(["disabledKey"])
  })

  it("passes other failures through untouched", async () => {
    const bot = fakeBot()
    const out = await Effect.runPromise(
      Effect.either(withBotCredential(() => Effect.fail("boom" as const)).pipe(Effect.provide(bot.layer))),
    )
    expect(out).toEqual(Either.left("boom"))
    expect(bot.reports).toEqual([])
  })
})
