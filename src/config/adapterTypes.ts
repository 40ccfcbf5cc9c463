import { Schema } from "effect"
import { Text } from "./configLeaves.ts"

/**
 * Chat adapters the configuration knows. To add one: add its entry schema here (with `type` and
 * the optional `name`) and its decoded form to `AdapterConfig`; unknown types are rejected with
 * this list.
 */
export const adapterSchemas = {
  /** The terminal chat: reads stdin, writes stdout. No settings. */
  text: Schema.Struct({ type: Text, name: Schema.optionalWith(Text, { exact: true }) }),
} as const

export type AdapterType = keyof typeof adapterSchemas
export const ADAPTER_TYPES = Object.keys(adapterSchemas) as ReadonlyArray<AdapterType>

/** A configured chat adapter; `name` is unique and defaults to the type. */
export type AdapterConfig = { readonly type: "text"; readonly name: string }
