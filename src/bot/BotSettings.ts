import { Context } from "effect"
import type { CommandPrefixes } from "./parseCommand.ts"

/** The configuration values the command handler reads (from `stackstorm:` in stormbot.yaml). */
export interface BotSettingsShape extends CommandPrefixes {
  /** `route_key`: sent as `notification_route`; results come back on `st2.announcement__<route>`. */
  readonly routeKey: string
}

export class BotSettings extends Context.Tag("stormbot/BotSettings")<BotSettings, BotSettingsShape>() {}

/** How a command is written in chat, for help and hints: `!st2 ` (or `!` with no plugin prefix). */
export const commandPrefix = (s: CommandPrefixes): string =>
  s.pluginPrefix === "" ? s.botPrefix : `${s.botPrefix}${s.pluginPrefix} `
