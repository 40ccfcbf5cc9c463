import { Context } from "effect"
import { LIMITS_DEFAULTS } from "../config/decodeLimits.ts"
import type { LimitsConfig } from "../config/StormbotConfig.ts"
import type { CommandPrefixes } from "./parseCommand.ts"

/** The configuration values the command handler reads (from `stackstorm:` in stormbot.yaml). */
export interface BotSettingsShape extends CommandPrefixes {
  /** `route_key`: sent as `notification_route`; results come back on `st2.announcement__<route>`. */
  readonly routeKey: string
  /** `limits:` the handler applies; the defaults of `limits` (4096, 250 ms) when absent. */
  readonly limits?: Pick<LimitsConfig, "maxCommandLength" | "matchTimeoutMs">
}

/** `limits.max_command_length` and `limits.match_timeout` (ms) when the settings leave them out. */
export const defaultCommandLimits: NonNullable<BotSettingsShape["limits"]> = {
  maxCommandLength: LIMITS_DEFAULTS.max_command_length,
  matchTimeoutMs: LIMITS_DEFAULTS.match_timeout * 1000,
}

export class BotSettings extends Context.Tag("stormbot/BotSettings")<BotSettings, BotSettingsShape>() {}

/** How a command is written in chat, for help and hints: `!st2 ` (or `!` with no plugin prefix). */
export const commandPrefix = (s: CommandPrefixes): string =>
  s.pluginPrefix === "" ? s.botPrefix : `${s.botPrefix}${s.pluginPrefix} `
