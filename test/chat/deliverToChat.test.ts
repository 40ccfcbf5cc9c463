import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { sourceChannelOf } from "../../src/adapters/ChatAdapter.ts"
import { cutParts, deliverToChat, formatBytes } from "../../src/chat/deliverToChat.ts"
import { makeOutboundQueue, type OutboundOutcome } from "../../src/chat/OutboundQueue.ts"
import { splitMessage } from "../../src/chat/splitMessage.ts"
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

  describe("flood control (limits.max_result_parts)", () => {
    /** 1 MB of result lines, as a verbose command prints them. */
    const megabyte = Array.from({ length: 20_000 }, (_, i) => `line ${i}: ${"x".repeat(44)}`)
      .join("\n")
      .slice(0, 1_000_000)
    const link = "https://st2.example.com/#/history/5f0c/general"

    it.scoped("posts at most maxParts messages; the last says how much was cut and links the execution", () =>
      Effect.gen(function* () {
        const { chat, queue } = yield* setup({ maxMessageLength: 4_000 })
        chat.addRoom("ops")
        const all = splitMessage(megabyte, 4_000)
        expect(all.length).toBeGreaterThan(250)
        const plan = yield* deliverToChat(
          chat,
          queue,
          { message: megabyte, channel: "#ops", extra: { fake: { rich: true } } },
          { maxParts: 10, link: () => link },
        )
        yield* queue.awaitIdle
        expect(plan).toMatchObject({ _tag: "Queued", parts: 10, cutParts: all.length - 10 })
        const sent = chat.outbound.map((m) => m.text)
        expect(sent).toHaveLength(10)
        for (const text of sent) expect(text.length).toBeLessThanOrEqual(4_000)
        // The first nine parts as they were; the tenth shortened to make room for the note.
        expect(sent.slice(0, 9)).toEqual(all.slice(0, 9).map((p) => p.replace(/\n$/, "")))
        const last = sent[9]!
        expect(all[9]!.startsWith(last.slice(0, last.indexOf("\n…")))).toBe(true)
        const note = /\n… (\d+) more parts \((\d+\.\d) kB\) not shown; the whole result: (\S+)$/.exec(last)
        expect(note?.slice(1)).toEqual([String(all.length - 10), expect.any(String), link])
        // The size is what was not shown: the megabyte less the ten parts posted (about 40 kB).
        const cutBytes = Number(note![2]) * 1_000
        const shownBytes = sent.reduce((n, t) => n + t.length, 0)
        expect(Math.abs(cutBytes - (1_000_000 - shownBytes))).toBeLessThan(500)
        expect(chat.outbound[0]!.extra).toEqual({ fake: { rich: true } })
        expect(chat.outbound.slice(1).every((m) => m.extra === undefined)).toBe(true)
      }),
    )

    it.scoped("without a link says only how much was cut; within the limit nothing changes", () =>
      Effect.gen(function* () {
        const { chat, queue } = yield* setup({ maxMessageLength: 4_000 })
        chat.addRoom("ops")
        yield* deliverToChat(chat, queue, { message: megabyte, channel: "#ops" }, { maxParts: 3 })
        const short = "one\ntwo"
        const plan = yield* deliverToChat(chat, queue, { message: short, channel: "#ops" }, { maxParts: 1 })
        yield* queue.awaitIdle
        expect(plan).toMatchObject({ parts: 1, cutParts: 0 })
        const sent = chat.outbound.map((m) => m.text)
        expect(sent).toHaveLength(4)
        expect(sent[2]).toMatch(/\n… \d+ more parts \(9\d\d\.\d kB\) not shown\.$/)
        expect(sent[3]).toBe(short)
      }),
    )

    it("cuts to one part when the limit is one, and keeps fences balanced in the shortened part", () => {
      const fenced = `\`\`\`\n${Array.from({ length: 400 }, (_, i) => `row ${i}`).join("\n")}\n\`\`\``
      const parts = splitMessage(fenced, 200)
      const { shown, cut } = cutParts(parts, 1, 200, undefined)
      expect(cut).toBe(parts.length - 1)
      expect(shown).toHaveLength(1)
      const only = shown[0]!
      expect(only.length).toBeLessThanOrEqual(200)
      expect(only.startsWith("```\nrow 0\n")).toBe(true)
      expect(only).toMatch(/\n```\n… \d+ more parts \(\d+\.\d kB\) not shown\.$/)
    })

    it("says sizes in plain units", () => {
      expect([1, 999, 1_000, 45_678, 999_949, 999_950, 1_048_576].map(formatBytes)).toEqual([
        "1 byte",
        "999 bytes",
        "1.0 kB",
        "45.7 kB",
        "999.9 kB",
        "1.0 MB",
        "1.0 MB",
      ])
    })
  })
})
