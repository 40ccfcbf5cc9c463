import { Context, type Duration, Effect, Layer, Option, Stream, SubscriptionRef } from "effect"
import { AliasIndex } from "../aliases/AliasIndex.ts"
import type { ActionAlias } from "../st2/ActionAlias.ts"

/** The alias set in use: built by the alias-sync actor, read by every command. */
export interface AliasSet {
  readonly index: AliasIndex
  /** The disabled aliases, indexed as if enabled, to tell a user "that alias is disabled". */
  readonly disabled: AliasIndex
  readonly aliases: number
  readonly loadedAt: Date
}

/**
 * Holds the last good alias set. Publishing swaps one reference, so lookups never wait for a
 * rebuild and never see a half-built index; a failed refresh publishes nothing.
 */
export class AliasStore extends Context.Tag("stormbot/AliasStore")<
  AliasStore,
  {
    /** `undefined` until the first load succeeds. */
    readonly current: Effect.Effect<AliasSet | undefined>
    /** `current` as a plain read, for the per-command hot path. */
    readonly peek: () => AliasSet | undefined
    /**
     * The current set, waiting up to `timeout` for the first load; `undefined` if none came, or
     * at once while there is none and the last load failed (StackStorm is down: don't wait).
     */
    readonly awaitLoaded: (timeout: Duration.DurationInput) => Effect.Effect<AliasSet | undefined>
    readonly publish: (aliases: ReadonlyArray<ActionAlias>) => Effect.Effect<AliasSet>
    /** A load failed; nothing is published (the last good set, if any, keeps serving). */
    readonly loadFailed: Effect.Effect<void>
  }
>() {
  static readonly layer = Layer.effect(
    AliasStore,
    Effect.gen(function* () {
      type State = { readonly set: AliasSet | undefined; readonly failed: boolean }
      const ref = yield* SubscriptionRef.make<State>({ set: undefined, failed: false })
      const settled = (s: State) => s.set !== undefined || s.failed
      // Mirrors the ref's set for `peek`; written only right after the ref (publish is the only writer of a set).
      let latest: AliasSet | undefined
      return {
        current: Effect.map(SubscriptionRef.get(ref), (s) => s.set),
        peek: () => latest,
        // Once loaded (every command but the first few), a plain read: no stream, no timer.
        awaitLoaded: (timeout) =>
          Effect.flatMap(SubscriptionRef.get(ref), (now) =>
            settled(now)
              ? Effect.succeed(now.set)
              : ref.changes.pipe(
                  Stream.filter(settled),
                  Stream.runHead,
                  Effect.timeout(timeout),
                  Effect.map((s) => Option.getOrUndefined(s)?.set),
                  Effect.orElseSucceed(() => undefined),
                ),
          ),
        publish: (aliases) =>
          Effect.gen(function* () {
            const previous = yield* SubscriptionRef.get(ref)
            const set = buildAliasSet(aliases, previous.set)
            yield* SubscriptionRef.set(ref, { set, failed: false })
            latest = set
            return set
          }),
        loadFailed: SubscriptionRef.update(ref, (s) => ({ ...s, failed: true })),
      }
    }),
  )
}

/** Builds a set; compiled formats of `previous` are reused, so a refresh costs a fraction of a build. */
export const buildAliasSet = (aliases: ReadonlyArray<ActionAlias>, previous?: AliasSet): AliasSet => ({
  index: AliasIndex.build(aliases, previous === undefined ? {} : { reuse: previous.index }),
  disabled: AliasIndex.build(
    aliases.filter((a) => a.enabled === false).map((a) => ({ ...a, enabled: true })),
  ),
  aliases: aliases.length,
  loadedAt: new Date(),
})
