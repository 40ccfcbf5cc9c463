import { Data, Either, Redacted } from "effect"

/**
 * Where the bot's StackStorm credential comes from. Exactly one is used, chosen by
 * `chooseCredentialSource` in err-stackstorm's documented order.
 */
export type CredentialSource =
  | { readonly _tag: "ApiKey"; readonly key: Redacted.Redacted<string> }
  | { readonly _tag: "Token"; readonly token: Redacted.Redacted<string> }
  | {
      readonly _tag: "Password"
      readonly username: string
      readonly password: Redacted.Redacted<string>
      /** Lifetime asked for each token, seconds; st2's default when absent. */
      readonly ttlSeconds?: number | undefined
    }

/** What configuration may hold (`stackstorm.api_auth`, or the `ST2_*` variables). */
export interface CredentialSettings {
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly token?: Redacted.Redacted<string> | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly tokenTtlSeconds?: number | undefined
}

export class NoCredentialConfigured extends Data.TaggedError("NoCredentialConfigured")<{
  readonly message: string
}> {}

const present = (r: Redacted.Redacted<string> | undefined): r is Redacted.Redacted<string> =>
  r !== undefined && Redacted.value(r) !== ""

/**
 * err-stackstorm's precedence: an API key wins over a user token, which wins over
 * username/password. The others are ignored, not tried as fallbacks: a rejected credential is an
 * operator's problem to fix, not to paper over with another identity.
 */
export const chooseCredentialSource = (
  s: CredentialSettings,
): Either.Either<CredentialSource, NoCredentialConfigured> => {
  if (present(s.apiKey)) return Either.right({ _tag: "ApiKey", key: s.apiKey })
  if (present(s.token)) return Either.right({ _tag: "Token", token: s.token })
  if (s.username !== undefined && s.username !== "" && present(s.password))
    return Either.right({
      _tag: "Password",
      username: s.username,
      password: s.password,
      ttlSeconds: s.tokenTtlSeconds,
    })
  const half =
    s.username !== undefined && s.username !== ""
      ? " (a username is set but no password)"
      : present(s.password)
        ? " (a password is set but no username)"
        : ""
  return Either.left(
    new NoCredentialConfigured({
      message:
        `no StackStorm credential is configured${half}: set stackstorm.api_auth.key (ST2_API_KEY), ` +
        "stackstorm.api_auth.token (ST2_AUTH_TOKEN), or stackstorm.api_auth.user.name and .password " +
        "(ST2_AUTH_USERNAME, ST2_AUTH_PASSWORD)",
    }),
  )
}

/** Names a source for operators, without its secret. */
export const describeCredentialSource = (s: CredentialSource): string => {
  switch (s._tag) {
    case "ApiKey":
      return "the API key (stackstorm.api_auth.key / ST2_API_KEY)"
    case "Token":
      return "the static token (stackstorm.api_auth.token / ST2_AUTH_TOKEN)"
    case "Password":
      return `the password of st2 user "${s.username}" (stackstorm.api_auth.user / ST2_AUTH_USERNAME, ST2_AUTH_PASSWORD)`
  }
}

/** What an operator should do when st2 rejects `s`. */
export const credentialAdvice = (s: CredentialSource): string => {
  switch (s._tag) {
    case "ApiKey":
      return "create a key with `st2 apikey create -k` (or enable the existing one) and configure it, then restart stormbot"
    case "Token":
      return "static tokens expire and cannot be renewed: configure an API key or a username/password instead (or a fresh token), then restart stormbot"
    case "Password":
      return "check the username and password (try `st2 login <user>`), then restart stormbot"
  }
}
