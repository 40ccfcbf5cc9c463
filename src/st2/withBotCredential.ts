import { Effect } from "effect"
import { BotCredential, type CredentialUnavailable, type St2Credential } from "./St2Credential.ts"
import { isSt2Unauthorized } from "./St2Error.ts"

/**
 * Runs `call` with the bot's credential. Every 401 is reported to the credential's owner (which
 * renews a token, or moves to `failed` for a rejected static credential). When st2 said the
 * token expired or is unknown, `call` runs ONCE more with the next credential, which `get` hands
 * out only after the (single, shared) renewal; a 401 then is reported and returned, not retried.
 * Any other 401 is returned after the report.
 *
 * ```ts
 * const aliases = yield* withBotCredential((c) => client.listAliases(c))
 * ```
 */
export const withBotCredential = <A, E, R>(
  call: (credential: St2Credential) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | CredentialUnavailable, R | BotCredential> =>
  Effect.flatMap(BotCredential, (bot) => withBotCredentialFrom(bot, call))

/** `withBotCredential` with the service already in hand (no context lookup per call). */
export const withBotCredentialFrom = <A, E, R>(
  bot: typeof BotCredential.Service,
  call: (credential: St2Credential) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | CredentialUnavailable, R> => {
  const attempt = (
    credential: St2Credential,
    retries: number,
  ): Effect.Effect<A, E | CredentialUnavailable, R> =>
    Effect.catchAll(call(credential), (error) => afterFailure(bot, credential, error, retries, attempt))
  return Effect.flatMap(bot.get, (credential) => attempt(credential, 1))
}

/**
 * What `withBotCredentialFrom` does once the first try with `credential` (made outside, e.g. by
 * plain callbacks on the per-command path) failed with `error`: the same report and single retry.
 */
export const withBotCredentialAfter = <A, E, R>(
  bot: typeof BotCredential.Service,
  credential: St2Credential,
  error: E,
  call: (credential: St2Credential) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | CredentialUnavailable, R> => {
  const attempt = (next: St2Credential, retries: number): Effect.Effect<A, E | CredentialUnavailable, R> =>
    Effect.catchAll(call(next), (e) => afterFailure(bot, next, e, retries, attempt))
  return afterFailure(bot, credential, error, 1, attempt)
}

const afterFailure = <A, E, R>(
  bot: typeof BotCredential.Service,
  credential: St2Credential,
  error: E,
  retries: number,
  attempt: (credential: St2Credential, retries: number) => Effect.Effect<A, E | CredentialUnavailable, R>,
): Effect.Effect<A, E | CredentialUnavailable, R> => {
  if (!isSt2Unauthorized(error)) return Effect.fail(error)
  const renewable = error.reason === "expired" || error.reason === "unknownToken"
  return bot
    .reportUnauthorized(credential, error)
    .pipe(
      Effect.zipRight(
        renewable && retries > 0
          ? Effect.flatMap(bot.get, (next) => attempt(next, retries - 1))
          : Effect.fail(error),
      ),
    )
}
