import type { AdapterConfig } from "../config/StormbotConfig.ts"
import type { ChatAdapter } from "./ChatAdapter.ts"
import { makeTextAdapter, type TextAdapterOptions } from "./text/TextAdapter.ts"

export interface AdapterOverrides {
  readonly text?: TextAdapterOptions
}

/** One factory per adapter type of the configuration (`adapters[].type`). */
const factories: {
  readonly [T in AdapterConfig["type"]]: (
    c: Extract<AdapterConfig, { type: T }>,
    o: AdapterOverrides,
  ) => ChatAdapter
} = {
  text: (c, o) => makeTextAdapter({ ...o.text, name: c.name }),
}

/** Builds the configured chat backends (`adapters:` in stormbot.yaml), in order. */
export const makeAdapters = (
  configs: ReadonlyArray<AdapterConfig>,
  overrides: AdapterOverrides = {},
): ReadonlyArray<ChatAdapter> => configs.map((c) => factories[c.type](c, overrides))
