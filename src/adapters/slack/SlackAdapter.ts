import type { AdapterConfig } from "../../config/StormbotConfig.ts"
import type { ChatAdapter } from "../ChatAdapter.ts"

/** Placeholder until the Slack backend lands (issue #5): configuring it fails at start. */
export const makeSlackAdapter = (config: Extract<AdapterConfig, { type: "slack" }>): ChatAdapter => {
  throw new Error(`the slack adapter "${config.name}" is not available yet`)
}
