import { Deferred, Effect, Stream } from "effect"
import type { ChatAdapter, ConnectionStatus } from "../../src/adapters/ChatAdapter.ts"

/** Subscribes to `adapter.status` in the current scope and returns once subscribed (the current status seen). */
export const recordStatuses = (adapter: Pick<ChatAdapter, "status">) =>
  Effect.gen(function* () {
    const statuses: ConnectionStatus[] = []
    const subscribed = yield* Deferred.make<void>()
    yield* adapter.status.pipe(
      Stream.runForEach((s) =>
        Effect.sync(() => statuses.push(s)).pipe(Effect.zipRight(Deferred.succeed(subscribed, undefined))),
      ),
      Effect.forkScoped,
    )
    yield* Deferred.await(subscribed)
    return statuses
  })
