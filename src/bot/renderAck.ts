import type { ActionAlias } from "../st2/ActionAlias.ts"
import type { AliasExecutionResult } from "../st2/schemas/AliasExecution.ts"

/**
 * The ack for one execution, as err-stackstorm and the Hubot plugin give it: nothing when the
 * alias's `ack.enabled` is false (missing means enabled); st2's rendered `message`, else a
 * short default naming the execution; the execution's `web_url` appended unless
 * `ack.append_url` is false. st2 itself applies neither flag, so the bot must.
 */
export const renderAck = (alias: ActionAlias, result: AliasExecutionResult): string | undefined => {
  const ack = result.actionalias?.ack ?? alias.ack
  if (ack?.enabled === false) return undefined
  const message =
    result.message !== undefined && result.message !== null && result.message.trim() !== ""
      ? result.message.trimEnd()
      : `Got it: ${alias.action_ref} is running as execution ${result.execution.id}.`
  const url = result.execution.web_url
  return ack?.append_url === false || url === undefined || url === "" ? message : `${message}\n${url}`
}
