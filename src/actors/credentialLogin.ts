import { Effect } from "effect"
import type { LoginFailure, LoginOutput } from "../machines/credentialMachine.ts"
import type { CredentialSource } from "../st2/CredentialSource.ts"
import { St2Client } from "../st2/St2Client.ts"
import type { St2Credential } from "../st2/St2Credential.ts"
import { describeSt2Error, type St2Error } from "../st2/St2Error.ts"

/**
 * Total mapping from a client failure to what the credential machine does about it.
 * A 4xx means st2 looked at the request and said no: retrying cannot help (`rejected`, the
 * machine moves to `failed`). No answer, a timeout, a 5xx or an unreadable answer means st2 or
 * the way to it is broken for now (`unavailable`, retried with backoff).
 */
export const loginFailureOf = (e: St2Error): LoginFailure => {
  const detail = describeSt2Error(e)
  switch (e._tag) {
    case "St2Unauthorized":
    case "St2Forbidden":
    case "St2BadRequest":
    case "St2Conflict":
      return { _tag: "LoginFailure", kind: "rejected", detail }
    case "St2NotFound":
      return {
        _tag: "LoginFailure",
        kind: "rejected",
        detail: `${detail} (are stackstorm.auth_url and stackstorm.api_url right?)`,
      }
    case "St2ServerError":
    case "St2Unavailable":
    case "St2Timeout":
    case "St2UndecodableBody":
    case "St2ResponseTooLarge":
      return { _tag: "LoginFailure", kind: "unavailable", detail }
  }
}

/**
 * Turns a configured source into a working credential. A static API key or token is checked
 * with `GET /api/v1/user` (so a bad one fails at start, not on the first chat command);
 * a username/password mints a token whose lifetime schedules its renewal.
 */
export const loginProgram = (
  source: CredentialSource,
  now: () => number = Date.now,
): Effect.Effect<LoginOutput, LoginFailure, St2Client> =>
  Effect.gen(function* () {
    const client = yield* St2Client
    switch (source._tag) {
      case "ApiKey":
      case "Token": {
        const credential: St2Credential =
          source._tag === "ApiKey"
            ? { _tag: "ApiKey", key: source.key }
            : { _tag: "Token", token: source.token }
        const user = yield* client.currentUser(credential)
        return { credential, username: user.username }
      }
      case "Password": {
        const token = yield* client.createToken(
          { username: source.username, password: source.password },
          { ttl: source.ttlSeconds },
        )
        return {
          credential: { _tag: "Token", token: token.token, expiry: token.expiry },
          username: token.user,
          lifetimeMs: Math.max(0, token.expiry.getTime() - now()),
        } satisfies LoginOutput
      }
    }
  }).pipe(Effect.mapError(loginFailureOf))
