import { Context, type Effect } from "effect"

/** Asks the alias-sync actor for a refresh now (StackStorm knows an alias the local set lacks). */
export class AliasRefresh extends Context.Tag("stormbot/AliasRefresh")<
  AliasRefresh,
  { readonly request: Effect.Effect<void> }
>() {}
