import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Schedule, Scope, Stream } from "effect"
import { type ChatAdapter, ChatTarget, sourceChannelOf } from "../../src/adapters/ChatAdapter.ts"
import type { ChatMessage } from "../../src/adapters/ChatMessage.ts"
import type { ContractDriver } from "./chatAdapterContract.ts"
import { recordStatuses } from "./recordStatuses.ts"

/**
 * The contract cases that need a driver's optional capabilities (network platforms: threads,
 * DMs, where a message went, disconnects, 429), part of `chatAdapterContract`. Each case passes
 * without checking anything when the driver lacks what it needs, so every adapter runs the whole
 * set.
 */
export const chatAdapterCapabilityCases = (makeDriver: () => Effect.Effect<ContractDriver>) =>
  describe("platform capabilities", () => {
    const nextMessage = (adapter: ChatAdapter) =>
      Effect.map(
        adapter.messages.pipe(Stream.take(1), Stream.runCollect),
        (c) => Chunk.unsafeHead(c) as ChatMessage,
      )
    const until = (check: () => boolean) =>
      Effect.sync(check).pipe(Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("5 millis") }))

    it.scopedLive(
      "a command in a thread: threadId reported, the answer to its source_channel goes to the thread",
      () =>
        Effect.gen(function* () {
          const driver = yield* makeDriver()
          const { adapter, sayInThread, delivered } = driver
          if (sayInThread === undefined || delivered === undefined) return
          yield* adapter.connect
          yield* sayInThread("!st2 run date")
          const message = yield* nextMessage(adapter)
          expect(message.text).toBe("!st2 run date")
          expect(message.threadId).toBeDefined()
          const target = yield* adapter.resolveTarget(
            sourceChannelOf(adapter, message),
            adapter.userToSt2(message.user),
          )
          expect(target).toMatchObject({ _tag: "Room", threadId: message.threadId })
          yield* adapter.send(target, { text: "in the thread" })
          expect(delivered().at(-1)).toMatchObject({ text: "in the thread", to: "thread" })
        }),
    )

    it.scopedLive("a direct message: isDirect without a room; the answer to its source_channel is a DM", () =>
      Effect.gen(function* () {
        const driver = yield* makeDriver()
        const { adapter, sayDirect, delivered } = driver
        if (sayDirect === undefined || delivered === undefined) return
        yield* adapter.connect
        yield* sayDirect("st2 run date")
        const message = yield* nextMessage(adapter)
        expect(message).toMatchObject({ text: "st2 run date", isDirect: true, room: undefined })
        const target = yield* adapter.resolveTarget(sourceChannelOf(adapter, message))
        expect(target).toMatchObject({ _tag: "Direct", user: { id: message.user.id } })
        yield* adapter.send(target, { text: "privately" })
        expect(delivered().at(-1)).toMatchObject({ text: "privately", to: "direct" })
      }),
    )

    it.scopedLive("a whisper in a room is ephemeral where the platform has it, else direct", () =>
      Effect.gen(function* () {
        const driver = yield* makeDriver()
        const { adapter, delivered } = driver
        if (delivered === undefined) return
        yield* adapter.connect
        yield* driver.sayInRoom("!st2 run date")
        const message = yield* nextMessage(adapter)
        yield* adapter.send(ChatTarget.ephemeral(message.room!, message.user), { text: "just for you" })
        expect(delivered().at(-1)).toMatchObject({
          text: "just for you",
          to: adapter.capabilities.ephemeral ? "ephemeral" : "direct",
        })
      }),
    )

    it.scopedLive(
      "extra[kind] is rendered natively when the adapter says so; a malformed one still sends the text",
      () =>
        Effect.gen(function* () {
          const driver = yield* makeDriver()
          const { adapter, delivered } = driver
          if (delivered === undefined) return
          yield* adapter.connect
          const room = yield* adapter.resolveTarget(adapter.roomToSt2({ id: "x", name: "x" }))
          if (driver.sampleExtra !== undefined) {
            yield* adapter.send(room, { text: "with extra", extra: { [adapter.kind]: driver.sampleExtra } })
            expect(delivered().at(-1)).toMatchObject({ rich: adapter.capabilities.richExtra })
            expect(JSON.stringify(delivered().at(-1))).toContain("with extra")
          }
          yield* adapter.send(room, { text: "bad extra", extra: { [adapter.kind]: "not an object" } })
          expect(delivered().at(-1)?.text).toContain("bad extra")
        }),
    )

    it.scopedLive("a dropped connection comes back to Connected and messages flow again", () =>
      Effect.gen(function* () {
        const driver = yield* makeDriver()
        const { adapter, dropConnection } = driver
        if (dropConnection === undefined) return
        const statuses = yield* recordStatuses(adapter)
        let session = yield* Scope.make()
        yield* Effect.addFinalizer(() => Scope.close(session, Effect.void as never))
        yield* adapter.connect.pipe(Scope.extend(session))
        yield* until(() => statuses.some((s) => s._tag === "Connected"))
        const before = statuses.length
        yield* dropConnection()
        yield* until(() => statuses.slice(before).some((s) => s._tag !== "Connected"))
        const after = statuses.slice(before).find((s) => s._tag !== "Connected")!
        expect(["Reconnecting", "Disconnected"]).toContain(after._tag)
        if (after._tag === "Disconnected") {
          // The adapter will not retry by itself: do what the adapter-connection machine does.
          yield* Scope.close(session, Effect.void as never)
          session = yield* Scope.make()
          yield* adapter.connect.pipe(Scope.extend(session))
        }
        yield* until(() => statuses.slice(before).some((s) => s._tag === "Connected"))
        yield* driver.sayInRoom("!st2 after the drop")
        expect((yield* nextMessage(adapter)).text).toBe("!st2 after the drop")
      }),
    )

    it.scopedLive("a 429 is ChatSendTransient with the platform's retryAfterMs; the retry goes through", () =>
      Effect.gen(function* () {
        const driver = yield* makeDriver()
        const { adapter, rateLimitNext } = driver
        if (rateLimitNext === undefined) return
        yield* adapter.connect
        const room = yield* adapter.resolveTarget(adapter.roomToSt2({ id: "x", name: "x" }))
        yield* rateLimitNext(2_000)
        const error = yield* Effect.flip(adapter.send(room, { text: "too fast" }))
        expect(error).toMatchObject({ _tag: "ChatSendTransient" })
        expect(error._tag === "ChatSendTransient" ? error.retryAfterMs : undefined).toBeGreaterThanOrEqual(
          2_000,
        )
        yield* adapter.send(room, { text: "retried" })
        expect(driver.received().at(-1)).toContain("retried")
        expect(driver.received().some((t) => t.includes("too fast"))).toBe(false)
      }),
    )
  })
