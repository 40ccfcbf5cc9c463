import { Data } from "effect"
import type { AdapterDefinition, AdapterOptionsOf } from "./AdapterDefinition.ts"
import { ADAPTERS, type AdapterConfig } from "./adapterRegistry.ts"
import type { ChatAdapter } from "./ChatAdapter.ts"

type Registered = (typeof ADAPTERS)[number]

/** Per backend type, what its `make` takes besides the configuration (`text`: the terminal's streams...). */
export type AdapterOverrides = { readonly [D in Registered as D["type"]]?: AdapterOptionsOf<D> }

/** An adapter configuration whose `type` no registered backend has (it did not come from `decodeConfig`). */
export class AdapterTypeUnknown extends Data.TaggedError("AdapterTypeUnknown")<{
  readonly type: string
  readonly name: string
}> {
  override get message(): string {
    return `adapter \`${this.name}\` has the type \`${this.type}\`, which no registered backend has (known: ${ADAPTERS.map((d) => d.type).join(", ")})`
  }
}

/**
 * Builds the configured chat backends (`adapters:` in stormbot.yaml), in order, each by its
 * registry entry (`adapterRegistry.ts`). Each loads its backend's code only when configured: the
 * Slack and Discord SDKs cost tens of MB of memory a terminal-only or Discord-only bot need not
 * pay. Rejects with `AdapterTypeUnknown` for a type no backend has.
 */
export const makeAdapters = (
  configs: ReadonlyArray<AdapterConfig>,
  overrides: AdapterOverrides = {},
): Promise<ReadonlyArray<ChatAdapter>> => {
  const byType = new Map<string, AdapterDefinition>(ADAPTERS.map((d) => [d.type, d]))
  const options = overrides as Readonly<Record<string, unknown>>
  return Promise.all(
    configs.map((c) => {
      const definition = byType.get(c.type)
      return definition === undefined
        ? Promise.reject(new AdapterTypeUnknown({ type: c.type, name: c.name }))
        : definition.make(c, options[c.type])
    }),
  )
}
