import { defineAdapter } from "../AdapterDefinition.ts"
import type { TextAdapterOptions } from "./TextAdapter.ts"

/** A decoded `type: text` entry: the terminal takes no settings. */
export type TextConfig = {
  readonly type: "text"
  readonly name: string
}

/** The terminal chat: reads stdin, writes stdout. No settings, no network. */
export const textDefinition = defineAdapter<TextConfig, TextAdapterOptions>()({
  type: "text",
  settings: {},
  decode: () => ({}),
  show: () => {},
  make: async (c, options) =>
    (await import("./TextAdapter.ts")).makeTextAdapter({ ...options, name: c.name }),
})
