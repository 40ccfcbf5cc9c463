import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeWebhookMessage } from "../../src/chat/WebhookMessage.ts"

const problems = (body: unknown): ReadonlyArray<string> => {
  const r = decodeWebhookMessage(body)
  if (Either.isRight(r)) throw new Error("expected a validation failure")
  return r.left.problems
}

describe("WebhookMessage (POST /chatops/message body)", () => {
  it("accepts err-stackstorm's shape, nulls included, and ignores unknown keys", () => {
    const r = decodeWebhookMessage({
      channel: "#ops",
      message: "deploy done",
      user: null,
      whisper: null,
      extra: { slack: { color: "good" } },
      route: "errbot",
    })
    expect(r).toEqual(
      Either.right({
        channel: "#ops",
        message: "deploy done",
        user: null,
        whisper: null,
        extra: { slack: { color: "good" } },
      }),
    )
    expect(Either.isRight(decodeWebhookMessage({ message: "psst", user: "alice", whisper: true }))).toBe(true)
  })

  it("says that message is required", () => {
    expect(problems({ channel: "#ops" })).toEqual(["`message` is required: the text to post"])
  })

  it("reports every wrongly typed field at once, each named", () => {
    expect(problems({ message: 3, channel: 4, user: [], whisper: "yes", extra: [] })).toEqual([
      "`message` must be a string: the text to post",
      "`channel` must be a string (or null, or left out)",
      "`user` must be a string (or null, or left out)",
      "`whisper` must be true or false (or null, or left out)",
      '`extra` must be a JSON object such as {"slack": {...}} (or null, or left out)',
    ])
  })

  it("needs a channel or a user", () => {
    expect(problems({ message: "hi", channel: "", user: null })).toEqual([
      "give `channel` (where to post) or `user` (whom to tell), or both",
    ])
  })

  it("rejects a body that is not an object", () => {
    expect(problems([1])[0]).toMatch(/must be a JSON object/)
    expect(problems("hi")[0]).toMatch(/must be a JSON object/)
    const r = decodeWebhookMessage(null)
    expect(Either.isLeft(r) && r.left.message).toMatch(/^invalid chat message: the body must be/)
  })
})
