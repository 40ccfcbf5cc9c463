import type { AdapterConfig } from "../config/StormbotConfig.ts"
import type { ChatAdapter } from "./ChatAdapter.ts"
import { makeTextAdapter, type TextAdapterOptions } from "./text/TextAdapter.ts"

/** Builds the configured chat backends (`adapters:` in stormbot.yaml), in order. */
export const makeAdapters = (
  configs: ReadonlyArray<AdapterConfig>,
  overrides: { readonly text?: TextAdapterOptions } = {},
): ReadonlyArray<ChatAdapter> =>
  configs.map((c) => {
    switch (c.type) {
      case "text":
        return makeTextAdapter({ ...overrides.text, name: c.name })
    }
  })
