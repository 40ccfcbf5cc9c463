import { Context, Effect, Layer, Ref } from "effect"
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
    readonly publish: (aliases: ReadonlyArray<ActionAlias>) => Effect.Effect<AliasSet>
  }
>() {
  static readonly layer = Layer.effect(
    AliasStore,
    Effect.gen(function* () {
      const ref = yield* Ref.make<AliasSet | undefined>(undefined)
      return {
        current: Ref.get(ref),
        publish: (aliases) =>
          Effect.gen(function* () {
            const set = buildAliasSet(aliases)
            yield* Ref.set(ref, set)
            return set
          }),
      }
    }),
  )
}

export const buildAliasSet = (aliases: ReadonlyArray<ActionAlias>): AliasSet => ({
  index: AliasIndex.build(aliases),
  disabled: AliasIndex.build(
    aliases.filter((a) => a.enabled === false).map((a) => ({ ...a, enabled: true })),
  ),
  aliases: aliases.length,
  loadedAt: new Date(),
})
