import type { Effect } from "effect"
import type { BotCredential, CredentialUnavailable, St2Credential } from "../st2/St2Credential.ts"
import { withBotCredential, withBotCredentialAfter, withBotCredentialFrom } from "../st2/withBotCredential.ts"
import type { CommandRequest } from "./CommandRequest.ts"

/**
 * Runs `call` with the credential a chat user's command must use. In `standalone` mode, the only
 * one today, that is the bot's own. Server-side and client-side RBAC will branch here on the
 * user's auth session (an impersonated or user-provided token) without touching callers.
 */
export const withUserCredential = <A, E, R>(
  _request: CommandRequest,
  call: (credential: St2Credential) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | CredentialUnavailable, R | BotCredential> => withBotCredential(call)

/** `withUserCredential` with the bot's credential service in hand (the per-command hot path). */
export const withUserCredentialFrom = <A, E, R>(
  bot: typeof BotCredential.Service,
  _request: CommandRequest,
  call: (credential: St2Credential) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | CredentialUnavailable, R> => withBotCredentialFrom(bot, call)

/** The credential `withUserCredentialFrom` would use at once, or `undefined` when it would wait or fail. */
export const userCredentialNow = (
  bot: typeof BotCredential.Service,
  _request: CommandRequest,
): St2Credential | undefined => bot.peek()

/** What `withUserCredentialFrom` does after a first try with `credential` failed with `error`. */
export const withUserCredentialAfter = <A, E, R>(
  bot: typeof BotCredential.Service,
  _request: CommandRequest,
  credential: St2Credential,
  error: E,
  call: (credential: St2Credential) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | CredentialUnavailable, R> => withBotCredentialAfter(bot, credential, error, call)
