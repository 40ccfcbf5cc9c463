import type { AdapterConfig } from "../config/StormbotConfig.ts"
import type { ChatAdapter } from "./ChatAdapter.ts"
import { makeDiscordAdapter } from "./discord/DiscordAdapter.ts"
import { makeSlackAdapter } from "./slack/SlackAdapter.ts"
import { makeTextAdapter, type TextAdapterOptions } from "./text/TextAdapter.ts"

export interface AdapterOverrides {
  readonly text?: TextAdapterOptions
}

type Factory<T extends AdapterConfig["type"]> = (
  c: Extract<AdapterConfig, { type: T }>,
  o: AdapterOverrides,
) => ChatAdapter

/** One factory per adapter type of the configuration (`adapters[].type`). */
const factories: { readonly [T in AdapterConfig["type"]]: Factory<T> } = {
  text: (c, o) => makeTextAdapter({ ...o.text, name: c.name }),
  slack: (c) => makeSlackAdapter(c),
  discord: (c) => makeDiscordAdapter(c),
}

const make = <T extends AdapterConfig["type"]>(c: Extract<AdapterConfig, { type: T }>, o: AdapterOverrides) =>
  (factories[c.type] as Factory<T>)(c, o)

/** Builds the configured chat backends (`adapters:` in stormbot.yaml), in order. */
export const makeAdapters = (
  configs: ReadonlyArray<AdapterConfig>,
  overrides: AdapterOverrides = {},
): ReadonlyArray<ChatAdapter> => configs.map((c) => make(c, overrides))
