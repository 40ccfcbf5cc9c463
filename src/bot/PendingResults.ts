import { Context, Effect, Layer, Option, Stream, SubscriptionRef } from "effect"
import { decodeSourceContext } from "../adapters/SourceContext.ts"

/** The key of a command's results: its adapter and chat message id, as in `source_context`. */
export const resultKey = (adapter: string, messageId: string): string => `${adapter}/${messageId}`

type Counts = ReadonlyMap<string, number>

const add = (m: Counts, key: string, delta: number): Counts => {
  const n = (m.get(key) ?? 0) + delta
  const next = new Map(m)
  if (n <= 0) next.delete(key)
  else next.set(key, n)
  return next
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
      const ref = yield* SubscriptionRef.make<Counts>(new Map())
      return {
        expect: (key, count) => SubscriptionRef.update(ref, (m) => add(m, key, count)),
        release: (key, count) => SubscriptionRef.update(ref, (m) => add(m, key, -count)),
        settle: (context) =>
          Option.match(decodeSourceContext(context), {
            onNone: () => Effect.void,
            onSome: (ctx) =>
              SubscriptionRef.update(ref, (m) => add(m, resultKey(ctx.adapter, ctx.messageId), -1)),
          }),
        outstanding: Effect.map(SubscriptionRef.get(ref), (m) => [...m.values()].reduce((a, b) => a + b, 0)),
        awaitNone: ref.changes.pipe(
          Stream.takeUntil((m) => m.size === 0),
          Stream.runDrain,
        ),
      }
    }),
  )
}
