import type { AdapterConfig } from "../../config/StormbotConfig.ts"
import type { ChatAdapter } from "../ChatAdapter.ts"

/** Placeholder until the Discord backend lands (issue #5): configuring it fails at start. */
export const makeDiscordAdapter = (config: Extract<AdapterConfig, { type: "discord" }>): ChatAdapter => {
  throw new Error(`the discord adapter "${config.name}" is not available yet`)
}
