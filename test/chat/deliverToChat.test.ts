import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { sourceChannelOf } from "../../src/adapters/ChatAdapter.ts"
import { deliverToChat } from "../../src/chat/deliverToChat.ts"
import { makeOutboundQueue, type OutboundOutcome } from "../../src/chat/OutboundQueue.ts"
import { makeFakeChatAdapter } from "../fakes/FakeChatAdapter.ts"
import { captureLogs } from "./logCapture.ts"

const setup = (options: Parameters<typeof makeFakeChatAdapter>[0] = {}) =>
  Effect.gen(function* () {
    const chat = makeFakeChatAdapter(options)
    const outcomes: OutboundOutcome[] = []
    const queue = yield* makeOutboundQueue({ onOutcome: (o) => outcomes.push(o) })
    const deliver = (d: Parameters<typeof deliverToChat>[2]) => deliverToChat(chat, queue, d)
    return { chat, queue, outcomes, deliver }
  })

describe("deliverToChat", () => {
  it.scoped("posts to the channel, or privately to the user when whispered", () =>
    Effect.gen(function* () {
      const { chat, queue, deliver } = yield* setup()
      chat.addRoom("ops")
      chat.addUser("alice")
      yield* deliver({ message: "to the room", channel: "#ops", user: "@alice", whisper: false })
      yield* deliver({ message: "just for you", channel: "#ops", user: "@alice", whisper: true })
      yield* deliver({ message: "no channel", channel: null, user: "@alice", whisper: null })
      yield* queue.awaitIdle
      expect(chat.outbound.map((s) => [s.to, s.text])).toEqual([
        ["#ops", "to the room"],
        ["@alice", "just for you"],
        ["@alice", "no channel"],
      ])
    }),
  )

  it.scoped("shows a whisper ephemerally in the channel where the platform can", () =>
    Effect.gen(function* () {
      const { chat, queue, deliver } = yield* setup({ ephemeral: true })
      chat.addRoom("ops")
      chat.addUser("alice")
      yield* deliver({ message: "psst", channel: "#ops", user: "@alice", whisper: true })
      yield* queue.awaitIdle
      expect(chat.outbound.map((s) => s.to)).toEqual(["#ops@alice"])
    }),
  )

  it.scoped("logs an undeliverable message and sends nothing", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      const { chat, deliver } = yield* setup()
      const plan = yield* deliver({ message: "lost?", channel: null, user: null, whisper: true })
      expect(plan._tag).toBe("Undeliverable")
      expect(chat.attempts).toEqual([])
      expect(logs.lines).toContainEqual(
        expect.objectContaining({ level: "ERROR", message: "chat message undeliverable" }),
      )
    }).pipe(Effect.provide(logs.layer))
  })

  it.scoped("round-trips a command's room and thread: the result lands in the same thread", () =>
    Effect.gen(function* () {
      const { chat, queue, deliver } = yield* setup()
      const command = chat.say("alice", "ops", "!st2 run date", { thread: "T42" })
      const sourceChannel = sourceChannelOf(chat, command)
      const context = chat.sourceContext(command)
      expect(sourceChannel).toBe("#ops/T42")
      // st2 echoes user, source_channel and source_context back in the announcement
      yield* deliver({ message: "via channel", channel: sourceChannel, user: "@alice", context })
      // a workflow that only knows the bare channel still reaches the thread through the context
      yield* deliver({ message: "via context", channel: "#ops", user: "@alice", context })
      // another room's context does not pull a message into a thread
      yield* deliver({
        message: "elsewhere",
        channel: "#ops",
        context: { ...context, room: { id: "R-x", name: "x" } },
      })
      yield* queue.awaitIdle
      expect(chat.outbound.map((s) => [s.to, s.text])).toEqual([
        ["#ops/T42", "via channel"],
        ["#ops/T42", "via context"],
        ["#ops", "elsewhere"],
      ])
    }),
  )

  it.scoped("round-trips a direct message back to the person", () =>
    Effect.gen(function* () {
      const { chat, queue, deliver } = yield* setup()
      const command = chat.say("bob", undefined, "!st2 whoami")
      yield* deliver({ message: "you are bob", channel: sourceChannelOf(chat, command), user: "@bob" })
      yield* queue.awaitIdle
      expect(chat.outbound.map((s) => s.to)).toEqual(["@bob"])
    }),
  )

  it.scoped("falls back to the user when the channel is unknown; fails loudly when there is no user", () =>
    Effect.gen(function* () {
      const { chat, queue, outcomes, deliver } = yield* setup()
      chat.addUser("alice")
      yield* deliver({ message: "fallback", channel: "#gone", user: "@alice" })
      yield* deliver({ message: "nowhere", channel: "#gone", user: null })
      yield* queue.awaitIdle
      expect(chat.outbound.map((s) => [s.to, s.text])).toEqual([["@alice", "fallback"]])
      expect(outcomes.find((o) => o._tag === "Failed")).toMatchObject({ reason: 'no room or user "#gone"' })
    }),
  )

  it.scoped("joins {~} parts, splits long text on lines, extra only with the first part, in order", () =>
    Effect.gen(function* () {
      const { chat, queue, deliver } = yield* setup({ maxMessageLength: 40 })
      chat.addRoom("ops")
      const body = Array.from({ length: 12 }, (_, i) => `host-${i}: ok`).join("\n")
      yield* deliver({ message: `Done{~}${body}`, channel: "#ops", extra: { fake: { color: "green" } } })
      yield* deliver({ message: "next result", channel: "#ops" })
      yield* queue.awaitIdle
      const texts = chat.outbound.map((s) => s.text)
      for (const t of texts) expect(t.length).toBeLessThanOrEqual(40)
      expect(texts.slice(0, -1).join("\n")).toBe(`Done\n${body}`)
      expect(texts.at(-1)).toBe("next result")
      expect(chat.outbound.map((s) => s.extra !== undefined)).toEqual([
        true,
        ...texts.slice(1).map(() => false),
      ])
    }),
  )

  it.scoped("resumes at the first unsent part after a transient failure: no duplicate, no gap", () =>
    Effect.gen(function* () {
      const { chat, queue, deliver } = yield* setup({ maxMessageLength: 6 })
      chat.addRoom("ops")
      chat.failNext(1, "transient", { after: 1 })
      yield* deliver({ message: "aaaa\nbbbb\ncccc", channel: "#ops" })
      yield* deliver({ message: "dddd", channel: "#ops" })
      yield* TestClock.adjust("1 minute")
      yield* queue.awaitIdle
      expect(chat.outbound.map((s) => s.text)).toEqual(["aaaa", "bbbb", "cccc", "dddd"])
      expect(chat.attempts.map((a) => `${a.text}:${a.result}`)).toEqual([
        "aaaa:sent",
        "bbbb:transient",
        "bbbb:sent",
        "cccc:sent",
        "dddd:sent",
      ])
    }),
  )

  it.scoped(
    "holds a room's results while the platform is disconnected and delivers them in order after",
    () =>
      Effect.gen(function* () {
        const { chat, queue, deliver } = yield* setup()
        chat.addRoom("ops")
        chat.disconnect()
        for (const n of [1, 2, 3]) yield* deliver({ message: `result ${n}`, channel: "#ops" })
        yield* TestClock.adjust("2 seconds")
        expect(chat.outbound).toEqual([])
        chat.reconnect()
        yield* TestClock.adjust("1 minute")
        yield* queue.awaitIdle
        expect(chat.outbound.map((s) => s.text)).toEqual(["result 1", "result 2", "result 3"])
      }),
  )

  it.scoped("logs a permanent failure naming the part, and delivers the next message", () =>
    Effect.gen(function* () {
      const { chat, queue, outcomes, deliver } = yield* setup({ maxMessageLength: 6 })
      chat.addRoom("ops")
      chat.failNext(1, "permanent", { after: 1, reason: "msg_too_long" })
      yield* deliver({ message: "aaaa\nbbbb\ncccc", channel: "#ops" })
      yield* deliver({ message: "dddd", channel: "#ops" })
      yield* queue.awaitIdle
      expect(chat.outbound.map((s) => s.text)).toEqual(["aaaa", "dddd"])
      expect(outcomes[0]).toMatchObject({ _tag: "Failed", reason: "msg_too_long (part 2 of 3)" })
    }),
  )
})
