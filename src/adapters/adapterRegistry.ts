import type { AdapterConfigOf } from "./AdapterDefinition.ts"
import { discordDefinition } from "./discord/discordDefinition.ts"
import { slackDefinition } from "./slack/slackDefinition.ts"
import { textDefinition } from "./text/textDefinition.ts"

/**
 * Every chat backend of the configuration's `adapters[].type`, in the order problems and docs
 * list them. Adding a backend is its folder (with its `AdapterDefinition`) and one line here:
 * configuration decoding, `config check`, the TLS start-up check and `makeAdapters` read this list.
 * Importing it loads no SDK: each definition imports its backend's code when it builds one.
 */
export const ADAPTERS = [textDefinition, slackDefinition, discordDefinition] as const

/** A configured chat adapter, decoded; `name` is unique and defaults to the type. Secrets are `Redacted`. */
export type AdapterConfig = AdapterConfigOf<(typeof ADAPTERS)[number]>
