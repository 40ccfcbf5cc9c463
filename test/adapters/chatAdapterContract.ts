import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Option, Stream } from "effect"
import { type ChatAdapter, sourceChannelOf } from "../../src/adapters/ChatAdapter.ts"
import type { ChatMessage } from "../../src/adapters/ChatMessage.ts"
import { decodeSourceContext } from "../../src/adapters/SourceContext.ts"
import { recordStatuses } from "./recordStatuses.ts"

/**
 * What every adapter must do, whatever the platform: run it against each adapter (terminal,
 * fake, and Slack / Discord / XMPP / Mattermost against their protocol fakes) through a driver
 * that plays the platform's side.
 */
export interface ContractDriver {
  readonly adapter: ChatAdapter
  /** Makes the platform deliver `text` from a person in a room; the adapter must emit it. */
  readonly sayInRoom: (text: string) => Effect.Effect<void>
  /** Everything the platform received, as plain text, in order. */
  readonly received: () => ReadonlyArray<string>
}

export const chatAdapterContract = (label: string, makeDriver: () => Effect.Effect<ContractDriver>) =>
  describe(`ChatAdapter contract: ${label}`, () => {
    it.scopedLive("connect reports Connecting then Connected; closing the scope reports Stopped", () =>
      Effect.gen(function* () {
        const { adapter } = yield* makeDriver()
        const statuses = yield* recordStatuses(adapter)
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* adapter.connect
            yield* Effect.yieldNow()
            expect(statuses.map((s) => s._tag)).toContain("Connected")
          }),
        )
        yield* Effect.yieldNow()
        expect(statuses.at(-1)?._tag).toBe("Stopped")
      }),
    )

    it.scopedLive(
      "an inbound message round-trips: user, source_channel and source_context lead back to it",
      () =>
        Effect.gen(function* () {
          const driver = yield* makeDriver()
          const { adapter } = driver
          yield* adapter.connect
          yield* driver.sayInRoom("!st2 run date")
          const [message] = Chunk.toArray(
            yield* adapter.messages.pipe(Stream.take(1), Stream.runCollect),
          ) as [ChatMessage]
          expect(message.text).toBe("!st2 run date")
          expect(message.room).toBeDefined()
          expect(message.isDirect).toBe(false)

          const user = adapter.userToSt2(message.user)
          const channel = sourceChannelOf(adapter, message)
          expect(yield* adapter.resolveUser(user)).toMatchObject({ id: message.user.id })
          const target = yield* adapter.resolveTarget(channel, user)
          expect(target).toMatchObject({ _tag: "Room", room: { id: message.room!.id } })
          if (target._tag === "Room") expect(target.threadId).toBe(message.threadId)
          expect(yield* adapter.resolveTarget(adapter.userToSt2(message.user))).toMatchObject({
            _tag: "Direct",
            user: { id: message.user.id },
          })

          const context = decodeSourceContext(JSON.parse(JSON.stringify(adapter.sourceContext(message))))
          expect(Option.getOrThrow(context)).toMatchObject({
            adapter: adapter.name,
            messageId: message.id,
            user: { id: message.user.id },
            room: { id: message.room!.id },
          })

          yield* adapter.send(target, { text: "result" })
          expect(driver.received().at(-1)).toContain("result")
        }),
    )

    it.scopedLive("sends a message of exactly maxMessageLength characters", () =>
      Effect.gen(function* () {
        const driver = yield* makeDriver()
        const { adapter } = driver
        yield* adapter.connect
        const n = Math.min(adapter.limits.maxMessageLength, 5_000)
        const room = yield* adapter.resolveTarget(adapter.roomToSt2({ id: "x", name: "x" }))
        expect(room._tag).toBe("Room")
        yield* adapter.send(room, { text: "y".repeat(n) })
        expect(driver.received().join("")).toContain("y".repeat(n))
      }),
    )
  })
