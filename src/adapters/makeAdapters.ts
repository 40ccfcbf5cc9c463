import type { AdapterConfig } from "../config/StormbotConfig.ts"
import type { ChatAdapter } from "./ChatAdapter.ts"
import type { TextAdapterOptions } from "./text/TextAdapter.ts"

export interface AdapterOverrides {
  readonly text?: TextAdapterOptions
}

type Factory<T extends AdapterConfig["type"]> = (
  c: Extract<AdapterConfig, { type: T }>,
  o: AdapterOverrides,
) => Promise<ChatAdapter>

/**
 * One factory per adapter type of the configuration (`adapters[].type`). Each loads its
 * backend's code only when configured: the Slack and Discord SDKs cost tens of MB of memory a
 * terminal-only or Discord-only bot need not pay.
 */
const factories: { readonly [T in AdapterConfig["type"]]: Factory<T> } = {
  text: async (c, o) => (await import("./text/TextAdapter.ts")).makeTextAdapter({ ...o.text, name: c.name }),
  slack: async (c) => (await import("./slack/SlackAdapter.ts")).makeSlackAdapter(c),
  discord: async (c) => (await import("./discord/DiscordAdapter.ts")).makeDiscordAdapter(c),
}

const make = <T extends AdapterConfig["type"]>(c: Extract<AdapterConfig, { type: T }>, o: AdapterOverrides) =>
  (factories[c.type] as Factory<T>)(c, o)

/** Builds the configured chat backends (`adapters:` in stormbot.yaml), in order. */
export const makeAdapters = (
  configs: ReadonlyArray<AdapterConfig>,
  overrides: AdapterOverrides = {},
): Promise<ReadonlyArray<ChatAdapter>> => Promise.all(configs.map((c) => make(c, overrides)))
