import type { CredentialUnavailable } from "../st2/St2Credential.ts"
import type { St2Error } from "../st2/St2Error.ts"

export const notReachable = "StackStorm is not reachable right now; your command was not run."

/**
 * What a chat user reads when StackStorm refused or could not take a command. Never a stack
 * trace, never a credential; st2's own faultstring where it explains the problem.
 */
export const describeFailure = (error: St2Error | CredentialUnavailable): string => {
  switch (error._tag) {
    case "St2Unavailable":
    case "St2Timeout":
      return notReachable
    case "St2ServerError":
      return error.status === 502 || error.status === 503 || error.status === 504
        ? notReachable
        : `StackStorm failed with an internal error (HTTP ${error.status}: ${error.faultstring}); your command was not run.`
    case "St2BadRequest":
      return `StackStorm refused the command: ${error.faultstring}`
    case "St2NotFound":
      return `StackStorm could not find what the command needs: ${error.faultstring}`
    case "St2Conflict":
      return `StackStorm refused the command (conflict): ${error.faultstring}`
    case "St2Forbidden":
      return `StackStorm says you are not allowed to run this: ${error.faultstring}`
    case "St2Unauthorized":
      return "StackStorm rejected stormbot's credential; your command was not run. An operator should check the bot's StackStorm credential."
    case "CredentialUnavailable":
      return error.permanent
        ? "stormbot cannot authenticate to StackStorm (its credential was rejected); your command was not run. An operator should check the bot's StackStorm credential."
        : "stormbot cannot log in to StackStorm right now; your command was not run."
    case "St2UndecodableBody":
      return "StackStorm answered in a way stormbot did not understand; the command may have run: check StackStorm's execution history."
    case "St2ResponseTooLarge":
      return `StackStorm's answer was larger than stormbot reads (limits.max_response_bytes: ${error.limitBytes} bytes), so it was not read; the command may have run: check StackStorm's execution history.`
  }
}
