import { type ConfigFile, RBAC_METHODS } from "./ConfigFileSchema.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import type { RbacAuthConfig } from "./StormbotConfig.ts"

type RbacAuthFile = NonNullable<NonNullable<ConfigFile["stackstorm"]>["rbac_auth"]>

/** `stackstorm.rbac_auth`: exactly one method; `standalone` by default; `clientside` needs its `url`. */
export const decodeRbacAuth = (ctx: DecodeContext, rb: RbacAuthFile): RbacAuthConfig => {
  const at = "stackstorm.rbac_auth"
  const methods = RBAC_METHODS.filter((m) => rb[m] !== undefined)
  if (methods.length > 1) {
    ctx.problem(
      at,
      `sets ${methods.length} methods (${methods.join(", ")}); exactly one is allowed`,
      "keep one of standalone: {}, serverside: {}, clientside: {url: ...}",
    )
  }
  const method = methods[0] ?? "standalone"
  ctx.sources.set(at, methods.length > 0 ? ctx.fromFile(`${at}.${method}`) : { _tag: "default" })
  if (method !== "clientside") return { _tag: method }
  const url = rb.clientside?.url
  if (url === undefined) {
    if (!ctx.hasProblemAt(`${at}.clientside.url`)) {
      ctx.problem(
        `${at}.clientside.url`,
        "is required for clientside authentication",
        "the URL of the bot's login page, e.g. https://stormbot.example.com/login/",
      )
    }
    return { _tag: "standalone" }
  }
  ctx.sources.set(`${at}.clientside.url`, ctx.fromFile(`${at}.clientside.url`))
  return { _tag: "clientside", url }
}
