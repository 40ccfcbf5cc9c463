import { Context, Effect, HashMap, Layer, Option, Stream, SubscriptionRef } from "effect"
import { decodeSourceContext } from "../adapters/SourceContext.ts"

/** The key of a command's results: its adapter and chat message id, as in `source_context`. */
export const resultKey = (adapter: string, messageId: string): string => `${adapter}/${messageId}`

/** Persistent, so an update costs O(log n) rather than a copy of every outstanding command. */
type Counts = HashMap.HashMap<string, number>

const add = (m: Counts, key: string, delta: number): Counts => {
  const n = Option.getOrElse(HashMap.get(m, key), () => 0) + delta
  return n <= 0 ? HashMap.remove(m, key) : HashMap.set(m, key, n)
}

/**
 * Results StackStorm still owes. A command expects one result per execution BEFORE it posts
 * (a fast result may arrive before the POST returns), releases it if the POST fails, and the
 * announcement whose `context` is that command's `source_context` settles one. Lets piped
 * input and shutdown wait, bounded, for what is outstanding.
 */
export class PendingResults extends Context.Tag("stormbot/PendingResults")<
  PendingResults,
  {
    readonly expect: (key: string, count: number) => Effect.Effect<void>
    readonly release: (key: string, count: number) => Effect.Effect<void>
    /** Settles one result of the command that `context` (an announcement's) belongs to. */
    readonly settle: (context: unknown) => Effect.Effect<void>
    readonly outstanding: Effect.Effect<number>
    /** Waits until nothing is outstanding. */
    readonly awaitNone: Effect.Effect<void>
  }
>() {
  static readonly layer = Layer.effect(
    PendingResults,
    Effect.gen(function* () {
      const ref = yield* SubscriptionRef.make<Counts>(HashMap.empty())
      return {
        expect: (key, count) => SubscriptionRef.update(ref, (m) => add(m, key, count)),
        release: (key, count) => SubscriptionRef.update(ref, (m) => add(m, key, -count)),
        settle: (context) =>
          Option.match(decodeSourceContext(context), {
            onNone: () => Effect.void,
            onSome: (ctx) =>
              SubscriptionRef.update(ref, (m) => add(m, resultKey(ctx.adapter, ctx.messageId), -1)),
          }),
        outstanding: Effect.map(SubscriptionRef.get(ref), (m) => HashMap.reduce(m, 0, (a, b) => a + b)),
        awaitNone: ref.changes.pipe(Stream.takeUntil(HashMap.isEmpty), Stream.runDrain),
      }
    }),
  )
}
