import { Effect } from "effect"
import { BotCredential, type CredentialUnavailable, type St2Credential } from "./St2Credential.ts"
import { isSt2Unauthorized } from "./St2Error.ts"

/**
 * Runs `call` with the bot's credential. On a 401 the credential is reported to its owner (which
 * renews a token, or moves to `failed` for a rejected static credential); when st2 said the
 * token expired or is unknown, `call` runs ONCE more with the next credential, which `get`
 * hands out only after the (single, shared) renewal. Any other 401 is returned as it is.
 *
 * ```ts
 * const aliases = yield* withBotCredential((c) => client.listAliases(c))
 * ```
 */
export const withBotCredential = <A, E, R>(
  call: (credential: St2Credential) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | CredentialUnavailable, R | BotCredential> =>
  Effect.gen(function* () {
    const bot = yield* BotCredential
    const credential = yield* bot.get
    return yield* call(credential).pipe(
      Effect.catchAll((error) => {
        if (!isSt2Unauthorized(error)) return Effect.fail(error)
        const renewable = error.reason === "expired" || error.reason === "unknownToken"
        return bot
          .reportUnauthorized(credential, error)
          .pipe(Effect.zipRight(renewable ? Effect.flatMap(bot.get, call) : Effect.fail(error)))
      }),
    )
  })
