import type { ConfigFile } from "./ConfigFileSchema.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import { envSecret, fromEnvValue } from "./st2chatopsEnv.ts"
import type { ApiAuthConfig } from "./StormbotConfig.ts"

type ApiAuthFile = NonNullable<NonNullable<ConfigFile["stackstorm"]>["api_auth"]>

/**
 * `stackstorm.api_auth`, the bot's own credentials, each from the file (inline or `*_file`) or
 * its st2chatops variable. Every one configured is kept; the credential actor picks one
 * (err-stackstorm's order: key, token, user), and several give a warning. A user needs both
 * halves. None at all is a problem when `requireCredential`.
 */
export const decodeApiAuth = (
  ctx: DecodeContext,
  a: ApiAuthFile,
  requireCredential: boolean,
): ApiAuthConfig => {
  const at = "stackstorm.api_auth"
  const keyPair =
    ctx.secret(at, [
      ["key", a.key],
      ["key_file", a.key_file],
      ["apikey", a.apikey],
      ["apikey_file", a.apikey_file],
    ]) ?? envSecret(ctx, "ST2_API_KEY")
  const tokenPair =
    ctx.secret(at, [
      ["token", a.token],
      ["token_file", a.token_file],
    ]) ?? envSecret(ctx, "ST2_AUTH_TOKEN")
  const u = a.user ?? {}
  const userName = ctx.pickOptional(`${at}.user.name`, [
    [u.name, ctx.fromFile(`${at}.user.name`)],
    fromEnvValue(ctx, "ST2_AUTH_USERNAME"),
  ])
  const passwordPair =
    ctx.secret(`${at}.user`, [
      ["password", u.password],
      ["password_file", u.password_file],
    ]) ?? envSecret(ctx, "ST2_AUTH_PASSWORD")
  if (keyPair) ctx.sources.set(`${at}.key`, keyPair[1])
  if (tokenPair) ctx.sources.set(`${at}.token`, tokenPair[1])
  if (passwordPair) ctx.sources.set(`${at}.user.password`, passwordPair[1])
  if (userName !== undefined && passwordPair === undefined && !ctx.hasProblemAt(`${at}.user.password`)) {
    ctx.problem(
      `${at}.user.password`,
      `is missing: the user \`${userName}\` needs a password`,
      "set password, password_file, or ST2_AUTH_PASSWORD",
    )
  }
  if (userName === undefined && passwordPair !== undefined && !ctx.hasProblemAt(`${at}.user.name`)) {
    ctx.problem(
      `${at}.user.name`,
      "is missing: a password is set but no user name",
      "set name, or ST2_AUTH_USERNAME",
    )
  }
  const user =
    userName !== undefined && passwordPair !== undefined
      ? { name: userName, password: passwordPair[0] }
      : undefined
  const credentials = [keyPair && "key", tokenPair && "token", user && "user"].filter((c) => c !== undefined)
  if (credentials.length === 0 && requireCredential && !ctx.hasProblemAt(at)) {
    ctx.problem(
      at,
      "no StackStorm credential is configured",
      "set api_auth.key (an st2 API key), api_auth.token, or api_auth.user {name, password} (or *_file); " +
        "or the st2chatops variables ST2_API_KEY, ST2_AUTH_TOKEN, ST2_AUTH_USERNAME + ST2_AUTH_PASSWORD",
    )
  }
  if (credentials.length > 1) {
    ctx.warnings.push({
      path: at,
      message: `several credentials are set (${credentials.join(", ")}): the API key is used first, then the token, then the user`,
      hint: "remove the ones you do not mean to use",
    })
  }
  return {
    ...(keyPair ? { key: keyPair[0] } : {}),
    ...(tokenPair ? { token: tokenPair[0] } : {}),
    ...(user ? { user } : {}),
  }
}
