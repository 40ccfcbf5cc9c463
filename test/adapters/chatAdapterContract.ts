import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Option, Schedule, Stream } from "effect"
import { type ChatAdapter, sourceChannelOf } from "../../src/adapters/ChatAdapter.ts"
import type { ChatMessage } from "../../src/adapters/ChatMessage.ts"
import { decodeSourceContext } from "../../src/adapters/SourceContext.ts"
import { chatAdapterCapabilityCases } from "./chatAdapterCapabilityContract.ts"
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
  /*
   * Optional capabilities of network platforms (Slack, Discord, ...); the cases that need one run
   * only for drivers that have it.
   */
  /** The platform delivers `text` in a thread of a room (the adapter must report `threadId`). */
  readonly sayInThread?: (text: string) => Effect.Effect<void>
  /** The platform delivers `text` as a direct message to the bot. */
  readonly sayDirect?: (text: string) => Effect.Effect<void>
  /** What the platform received, with where it went and whether `extra` was rendered natively. */
  readonly delivered?: () => ReadonlyArray<ContractDelivery>
  /** The platform drops the connection; the adapter must come back (status Connected again). */
  readonly dropConnection?: () => Effect.Effect<void>
  /** The platform answers the next send with 429 and this Retry-After. */
  readonly rateLimitNext?: (retryAfterMs: number) => Effect.Effect<void>
  /** An `extra[adapter.kind]` the platform renders natively (Slack attachment fields, Discord embeds). */
  readonly sampleExtra?: unknown
}

export interface ContractDelivery {
  readonly text: string
  readonly to: "room" | "thread" | "direct" | "ephemeral"
  /** The platform-native rendering of `extra[kind]` was sent (attachments, blocks, embeds). */
  readonly rich: boolean
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
            // Network adapters report Connected once the platform's handshake is done.
            yield* Effect.sync(() => statuses.some((s) => s._tag === "Connected")).pipe(
              Effect.repeat({ until: (seen) => seen, schedule: Schedule.spaced("5 millis") }),
            )
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

    chatAdapterCapabilityCases(makeDriver)
  })
