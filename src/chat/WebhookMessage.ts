import { Data, Either, ParseResult, Schema } from "effect"
import type { ChatDelivery } from "./ChatDelivery.ts"

/**
 * The body of `POST /chatops/message` (err-stackstorm's shape): a StackStorm workflow posting to
 * chat directly. `message` is required; at least one of `channel` / `user` must name a target;
 * `null` means absent (st2 sends unset parameters as null). Unknown keys (`route`, ...) are
 * ignored, as err-stackstorm ignores them. Delivery then follows the same rules as an
 * announcement (`deliverToChat`).
 */
const optionalNullable = <S extends Schema.Schema.Any>(schema: S, message: string) =>
  Schema.optionalWith(Schema.NullOr(schema).annotations({ message: () => ({ message, override: true }) }), {
    exact: true,
  })

export const WebhookMessage = Schema.Struct({
  message: Schema.propertySignature(
    Schema.String.annotations({ message: () => "`message` must be a string: the text to post" }),
  ).annotations({ missingMessage: () => "`message` is required: the text to post" }),
  channel: optionalNullable(Schema.String, "`channel` must be a string (or null, or left out)"),
  user: optionalNullable(Schema.String, "`user` must be a string (or null, or left out)"),
  whisper: optionalNullable(Schema.Boolean, "`whisper` must be true or false (or null, or left out)"),
  extra: optionalNullable(
    Schema.Record({ key: Schema.String, value: Schema.Unknown }),
    '`extra` must be a JSON object such as {"slack": {...}} (or null, or left out)',
  ),
}).pipe(
  Schema.filter(
    (body) =>
      (typeof body.channel === "string" && body.channel.trim() !== "") ||
      (typeof body.user === "string" && body.user.trim() !== "") ||
      "give `channel` (where to post) or `user` (whom to tell), or both",
  ),
)
export type WebhookMessage = typeof WebhookMessage.Type

/** A webhook body that is not a `WebhookMessage`; answer 400 with `problems`. */
export class WebhookBodyInvalid extends Data.TaggedError("WebhookBodyInvalid")<{
  /** One line per problem, e.g. "`message` is required: the text to post". */
  readonly problems: ReadonlyArray<string>
}> {
  override get message(): string {
    return `invalid chat message: ${this.problems.join("; ")}`
  }
}

/** Validates a parsed JSON body, reporting every problem at once. */
export const decodeWebhookMessage = (body: unknown): Either.Either<ChatDelivery, WebhookBodyInvalid> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return Either.left(
      new WebhookBodyInvalid({
        problems: ['the body must be a JSON object like {"channel": "...", "message": "..."}'],
      }),
    )
  }
  return Schema.decodeUnknownEither(WebhookMessage, { errors: "all" })(body).pipe(
    Either.mapLeft(
      (error) =>
        new WebhookBodyInvalid({
          problems: ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => issue.message),
        }),
    ),
  )
}
