import { Context, Effect, Layer, Option } from "effect"
import { decodeSourceContext } from "../adapters/SourceContext.ts"

/** The key of a command's results: its adapter and chat message id, as in `source_context`. */
export const resultKey = (adapter: string, messageId: string): string => `${adapter}/${messageId}`

/** An execution StackStorm started for a command: what a cut result links to. */
export interface StartedExecution {
  readonly id: string
  readonly web_url?: string | null | undefined
}

/**
 * Results StackStorm still owes. A command expects one result per execution BEFORE it posts
 * (a fast result may arrive before the POST returns), releases it if the POST fails, and the
 * announcement whose `context` is that command's `source_context` settles one. Lets piped
 * input and shutdown wait, bounded, for what is outstanding. It also keeps the execution
 * `web_url` of each result still owed (`started`), so a result too long for chat can link the
 * execution's page (`linkOf`).
 */
export class PendingResults extends Context.Tag("stormbot/PendingResults")<
  PendingResults,
  {
    /** Plain calls: every command and every result updates the counts, on the hot path. */
    readonly expect: (key: string, count: number) => void
    readonly release: (key: string, count: number) => void
    /** StackStorm started `execution` for the command `key` (its ack); kept while its result is owed. */
    readonly started: (key: string, execution: StartedExecution) => void
    /**
     * The `web_url` of the execution an announcement (its `context` and `message`) is the result
     * of, while that result is owed: the command's only execution with a link, or (a
     * `match_multiple` command has several) the one whose id the message names.
     */
    readonly linkOf: (context: unknown, message: string) => string | undefined
    /** Settles one result of the command that `context` (an announcement's) belongs to. */
    readonly settle: (context: unknown, message?: string) => void
    readonly outstanding: Effect.Effect<number>
    /** Waits until nothing is outstanding. */
    readonly awaitNone: Effect.Effect<void>
  }
>() {
  // A plain Map and a list of waiters released when it empties: every command updates it twice,
  // and a SubscriptionRef (a semaphore and a PubSub per update) showed in profiles.
  static readonly layer = Layer.sync(PendingResults, () => {
    const counts = new Map<string, number>()
    // Executions started per key, at most as many as results owed: an entry is dropped with its
    // key's last result, so this never outgrows `counts`.
    const executions = new Map<string, Array<StartedExecution>>()
    const waiters = new Set<() => void>()
    const addNow = (key: string, delta: number) => {
      const n = (counts.get(key) ?? 0) + delta
      if (n > 0) {
        counts.set(key, n)
        return
      }
      counts.delete(key)
      executions.delete(key)
      if (counts.size === 0 && waiters.size > 0) {
        const ready = [...waiters]
        waiters.clear()
        for (const w of ready) w()
      }
    }
    const keyOf = (context: unknown): string | undefined => {
      const ctx = decodeSourceContext(context)
      return Option.isSome(ctx) ? resultKey(ctx.value.adapter, ctx.value.messageId) : undefined
    }
    /** Which of `started` an announcement is about: the only one, or the one its message names. */
    const indexFor = (started: ReadonlyArray<StartedExecution>, message: string | undefined): number => {
      if (started.length <= 1) return 0
      return message === undefined ? -1 : started.findIndex((e) => message.includes(e.id))
    }
    const settleNow = (context: unknown, message?: string) => {
      const key = keyOf(context)
      if (key === undefined) return
      const started = executions.get(key)
      if (started !== undefined) {
        const i = indexFor(started, message)
        started.splice(Math.max(i, 0), 1)
        if (started.length === 0) executions.delete(key)
      }
      addNow(key, -1)
    }
    return {
      expect: (key, count) => addNow(key, count),
      release: (key, count) => addNow(key, -count),
      started: (key, execution) => {
        const owed = counts.get(key) ?? 0
        const started = executions.get(key)
        // A result that arrived before its ack settled already: nothing to link it to.
        if (started === undefined) {
          if (owed > 0) executions.set(key, [execution])
        } else if (started.length < owed) started.push(execution)
      },
      linkOf: (context, message) => {
        const key = keyOf(context)
        const started = key === undefined ? undefined : executions.get(key)
        if (started === undefined) return undefined
        return started[indexFor(started, message)]?.web_url ?? undefined
      },
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
