import { Effect, Option, Queue, Stream, SubscriptionRef } from "effect"
import type { ConnectionStatus } from "./ChatAdapter.ts"
import type { ChatMessage } from "./ChatMessage.ts"

/**
 * The plumbing every adapter needs behind `status` and `messages`: a status cell that replays
 * the current value to each new subscriber, and an unbounded inbound buffer that can be ended.
 * The push side is synchronous so SDK callbacks (readline, socket events) can call it directly.
 */
export interface AdapterStreams {
  readonly status: Stream.Stream<ConnectionStatus>
  readonly messages: Stream.Stream<ChatMessage>
  readonly currentStatus: () => ConnectionStatus
  readonly setStatus: (status: ConnectionStatus) => void
  /** Buffers one inbound message; ignored after `endMessages`. */
  readonly pushMessage: (message: ChatMessage) => void
  /** Ends `messages` after the buffered ones (end of piped input). Idempotent. */
  readonly endMessages: () => void
}

export const makeAdapterStreams = (
  initial: ConnectionStatus = { _tag: "Stopped", reason: "closed" },
): AdapterStreams => {
  const statusRef = Effect.runSync(SubscriptionRef.make<ConnectionStatus>(initial))
  const inbound = Effect.runSync(Queue.unbounded<Option.Option<ChatMessage>>())
  let ended = false
  return {
    status: statusRef.changes,
    messages: Stream.fromQueue(inbound).pipe(
      Stream.takeWhile(Option.isSome),
      Stream.map((m) => m.value),
    ),
    currentStatus: () => Effect.runSync(SubscriptionRef.get(statusRef)),
    setStatus: (status) => Effect.runSync(SubscriptionRef.set(statusRef, status)),
    pushMessage: (message) => {
      if (!ended) inbound.unsafeOffer(Option.some(message))
    },
    endMessages: () => {
      if (ended) return
      ended = true
      inbound.unsafeOffer(Option.none())
    },
  }
}
