import { Context, Effect, Layer, Option } from "effect"
import { decodeSourceContext } from "../adapters/SourceContext.ts"

/** The key of a command's results: its adapter and chat message id, as in `source_context`. */
export const resultKey = (adapter: string, messageId: string): string => `${adapter}/${messageId}`

/**
 * Results StackStorm still owes. A command expects one result per execution BEFORE it posts
 * (a fast result may arrive before the POST returns), releases it if the POST fails, and the
 * announcement whose `context` is that command's `source_context` settles one. Lets piped
 * input and shutdown wait, bounded, for what is outstanding.
 */
export class PendingResults extends Context.Tag("stormbot/PendingResults")<
  PendingResults,
  {
    /** Plain calls: every command and every result updates the counts, on the hot path. */
    readonly expect: (key: string, count: number) => void
    readonly release: (key: string, count: number) => void
    /** Settles one result of the command that `context` (an announcement's) belongs to. */
    readonly settle: (context: unknown) => void
    readonly outstanding: Effect.Effect<number>
    /** Waits until nothing is outstanding. */
    readonly awaitNone: Effect.Effect<void>
  }
>() {
  // A plain Map and a list of waiters released when it empties: every command updates it twice,
  // and a SubscriptionRef (a semaphore and a PubSub per update) showed in profiles.
  static readonly layer = Layer.sync(PendingResults, () => {
    const counts = new Map<string, number>()
    const waiters = new Set<() => void>()
    const addNow = (key: string, delta: number) => {
      const n = (counts.get(key) ?? 0) + delta
      if (n > 0) {
        counts.set(key, n)
        return
      }
      counts.delete(key)
      if (counts.size === 0 && waiters.size > 0) {
        const ready = [...waiters]
        waiters.clear()
        for (const w of ready) w()
      }
    }
    const settleNow = (context: unknown) => {
      const ctx = decodeSourceContext(context)
      if (Option.isSome(ctx)) addNow(resultKey(ctx.value.adapter, ctx.value.messageId), -1)
    }
    return {
      expect: (key, count) => addNow(key, count),
      release: (key, count) => addNow(key, -count),
      settle: settleNow,
      outstanding: Effect.sync(() => {
        let total = 0
        for (const n of counts.values()) total += n
        return total
      }),
      awaitNone: Effect.async<void>((resume) => {
        if (counts.size === 0) return resume(Effect.void)
        const waiter = () => resume(Effect.void)
        waiters.add(waiter)
        return Effect.sync(() => waiters.delete(waiter))
      }),
    }
  })
}
