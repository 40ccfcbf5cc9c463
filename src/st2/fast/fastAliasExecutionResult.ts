import type { AliasExecutionResult } from "../schemas/AliasExecution.ts"
import { isJsonObject, isOptionalText, type JsonObject } from "./jsonGuards.ts"

type Ack = NonNullable<NonNullable<AliasExecutionResult["actionalias"]>["ack"]>

const isOptional = <T>(u: unknown, is: (v: unknown) => v is T): u is T | undefined => u === undefined || is(u)
const isBoolean = (u: unknown): u is boolean => typeof u === "boolean"
const isString = (u: unknown): u is string => typeof u === "string"

/** `AliasAck`'s output: its four keys when present; (`extra` as st2 sent it). */
const ackOf = (a: JsonObject): Ack | undefined => {
  const { enabled, format, append_url, extra } = a
  if (!isOptional(enabled, isBoolean) || !isOptional(format, isString) || !isOptional(append_url, isBoolean))
    return undefined
  if (!isOptional(extra, isJsonObject)) return undefined
  return {
    ...(enabled === undefined ? {} : { enabled }),
    ...(format === undefined ? {} : { format }),
    ...(append_url === undefined ? {} : { append_url }),
    ...(extra === undefined ? {} : { extra }),
  }
}

/**
 * `AliasExecutionResult`'s decode, by hand, for the shape st2 answers `POST /aliasexecution`
 * with: the same output as the Schema's, or `undefined` for anything it does not accept (the
 * caller then decodes with the Schema, for its error message). Every command's answer goes
 * through here; the Schema's decoder allocated ~15 KB per answer. Checked against the Schema in
 * `fastAliasExecutionResult.test.ts`.
 */
export const fastAliasExecutionResult = (u: unknown): AliasExecutionResult | undefined => {
  if (!isJsonObject(u)) return undefined
  const { execution, actionalias, message, extra } = u
  if (!isJsonObject(execution)) return undefined
  const { id, status, action, web_url } = execution
  if (!isString(id) || !isString(status) || !isOptionalText(web_url)) return undefined
  if (!(action === undefined || (isJsonObject(action) && isOptional(action.ref, isString)))) return undefined
  if (!isOptionalText(message)) return undefined
  if (!(extra === undefined || extra === null || isJsonObject(extra))) return undefined
  let alias: AliasExecutionResult["actionalias"]
  if (actionalias !== undefined) {
    if (!isJsonObject(actionalias)) return undefined
    if (actionalias.ack === undefined) alias = {}
    else {
      if (!isJsonObject(actionalias.ack)) return undefined
      const ack = ackOf(actionalias.ack)
      if (ack === undefined) return undefined
      alias = { ack }
    }
  }
  return {
    execution: {
      id,
      status,
      ...(action === undefined
        ? {}
        : {
            action:
              (action as JsonObject).ref === undefined ? {} : { ref: (action as JsonObject).ref as string },
          }),
      ...(web_url === undefined ? {} : { web_url }),
    },
    ...(alias === undefined ? {} : { actionalias: alias }),
    ...(message === undefined ? {} : { message }),
    ...(extra === undefined ? {} : { extra }),
  }
}
