import { describe, expect, it } from "vitest"
import { deliveryKey, deliveryTarget } from "../../src/chat/deliveryTarget.ts"

describe("deliveryTarget (err-stackstorm's rule)", () => {
  it("whisper with a user goes to that user privately, keeping the channel for ephemeral display", () => {
    expect(deliveryTarget({ whisper: true, user: "alice", channel: "#ops" })).toEqual({
      _tag: "ToUser",
      user: "alice",
      channel: "#ops",
    })
  })

  it("without whisper, the channel wins even when a user is given (kept as fallback)", () => {
    expect(deliveryTarget({ whisper: false, user: "alice", channel: "#ops" })).toEqual({
      _tag: "ToChannel",
      channel: "#ops",
      user: "alice",
    })
    expect(deliveryTarget({ whisper: null, channel: "#ops", user: null })).toEqual({
      _tag: "ToChannel",
      channel: "#ops",
      user: undefined,
    })
  })

  it("whisper without a user goes to the channel", () => {
    expect(deliveryTarget({ whisper: true, user: null, channel: "#ops" })).toMatchObject({
      _tag: "ToChannel",
      channel: "#ops",
    })
  })

  it("no channel: the user", () => {
    expect(deliveryTarget({ whisper: false, user: "alice", channel: null })).toEqual({
      _tag: "ToUser",
      user: "alice",
    })
    expect(deliveryTarget({ user: "alice", channel: "  " })).toEqual({ _tag: "ToUser", user: "alice" })
  })

  it("neither channel nor user: undeliverable, with a reason", () => {
    const t = deliveryTarget({ whisper: true, user: null, channel: "" })
    expect(t._tag).toBe("Undeliverable")
    expect(t._tag === "Undeliverable" && t.reason).toMatch(/neither a channel nor a user/)
  })

  it("keys lanes by st2's strings", () => {
    expect(deliveryKey({ _tag: "ToChannel", channel: "#ops" })).toBe("channel:#ops")
    expect(deliveryKey({ _tag: "ToUser", user: "alice", channel: "#ops" })).toBe("user:alice")
  })
})
