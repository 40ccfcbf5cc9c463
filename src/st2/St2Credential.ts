import { Context, Data, type Effect, Redacted } from "effect"
import type { St2Unauthorized } from "./St2Error.ts"

/** A credential StackStorm accepts in a header. */
export type St2Credential =
  | { readonly _tag: "Token"; readonly token: Redacted.Redacted<string>; readonly expiry?: Date | undefined }
  | { readonly _tag: "ApiKey"; readonly key: Redacted.Redacted<string> }

/** The header that carries a credential; credentials never travel in URLs. */
export const credentialHeaders = (c: St2Credential): Record<string, string> =>
  c._tag === "Token" ? { "X-Auth-Token": Redacted.value(c.token) } : { "St2-Api-Key": Redacted.value(c.key) }

/** The bot's credential cannot be had now; `permanent` when it is rejected and needs an operator. */
export class CredentialUnavailable extends Data.TaggedError("CredentialUnavailable")<{
  readonly message: string
  readonly permanent: boolean
}> {}

/**
 * The bot's StackStorm credential, owned by the credential actor: nothing else logs in.
 * `get` waits while a login or renewal is in flight (concurrent callers share one renewal).
 * `reportUnauthorized` tells the owner that st2 rejected `credential` with 401, so it renews
 * (username/password) or moves to `failed` (a rejected static token or API key).
 */
export class BotCredential extends Context.Tag("stormbot/BotCredential")<
  BotCredential,
  {
    readonly get: Effect.Effect<St2Credential, CredentialUnavailable>
    /**
     * The credential `get` would hand out at once, or `undefined` when `get` would wait or fail
     * (no credential yet, renewing, rejected, shut down). A plain call for the per-command path.
     */
    readonly peek: () => St2Credential | undefined
    readonly reportUnauthorized: (credential: St2Credential, error: St2Unauthorized) => Effect.Effect<void>
  }
>() {}
