import { Schema } from "effect"
import { AliasAck } from "../ActionAlias.ts"
import { Execution } from "./Execution.ts"

/**
 * The `execution` of an alias execution's answer, as the bot reads it: st2 sends the whole
 * execution (action, runner, parameters, context...), and decoding all of it on every command
 * cost more than the rest of the answer. Other keys are dropped; `getExecution` has them all.
 */
export const ExecutionStarted = Execution.pipe(Schema.pick("id", "status", "action", "web_url"))

/**
 * Body of `POST /api/v1/aliasexecution` (no other keys are allowed by st2). `format` is one of
 * the alias's format strings; for object formats, one of its `representation` strings.
 * `source_context` is the chat envelope, echoed back with the result.
 */
export interface AliasExecutionRequest {
  readonly name: string
  readonly format: string
  readonly command: string
  readonly user?: string | undefined
  readonly source_channel: string
  readonly source_context?: Readonly<Record<string, unknown>> | undefined
  readonly notification_channel?: string | undefined
  readonly notification_route?: string | undefined
}

/** Body of `POST /api/v1/aliasexecution/match_and_execute` (`source_context` is rejected there). */
export interface MatchAndExecuteRequest {
  readonly command: string
  readonly user: string
  readonly source_channel: string
  readonly notification_channel?: string | undefined
  readonly notification_route?: string | undefined
}

/**
 * `201` of an alias execution. `message`/`extra` are the alias's `ack.format`/`ack.extra`
 * rendered by st2; st2 does NOT apply `ack.enabled` or `ack.append_url`: the caller must.
 * Of the alias st2 echoes, only `ack` is read (the bot has the alias already): decoding the
 * whole alias, formats and all, cost more than the rest of the answer on every command.
 */
export const AliasExecutionResult = Schema.Struct({
  execution: ExecutionStarted,
  actionalias: Schema.optional(Schema.Struct({ ack: Schema.optional(AliasAck) })),
  message: Schema.optional(Schema.NullOr(Schema.String)),
  extra: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
})
export type AliasExecutionResult = typeof AliasExecutionResult.Type

/** `201` of `match_and_execute`: one entry per execution (a `match_multiple` format may run several). */
export const MatchAndExecuteResult = Schema.Struct({ results: Schema.Array(AliasExecutionResult) })
export type MatchAndExecuteResult = typeof MatchAndExecuteResult.Type
