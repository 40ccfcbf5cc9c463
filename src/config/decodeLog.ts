import type { ConfigFile } from "./ConfigFileSchema.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import type { StormbotConfig } from "./StormbotConfig.ts"

/** `log`: level and format, from the file or the defaults (`info`, `auto`). */
export const decodeLog = (ctx: DecodeContext, log: ConfigFile["log"]): StormbotConfig["log"] => ({
  level: ctx.pick("log.level", [[log?.level, ctx.fromFile("log.level")]], "info"),
  format: ctx.pick("log.format", [[log?.format, ctx.fromFile("log.format")]], "auto"),
})
