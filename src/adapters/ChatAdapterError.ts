import { Data } from "effect"

/**
 * How a send (or a target lookup) can fail. The split is what the outbound queue acts on:
 * transient failures are retried (after `retryAfterMs` when the platform said so, e.g. Slack's
 * 429 `Retry-After`) without letting later messages of the same target overtake; permanent
 * failures are logged with their reason and the queue moves on.
 */

/** Worth retrying: rate limited, platform 5xx, socket not connected right now, timeout. */
export class ChatSendTransient extends Data.TaggedError("ChatSendTransient")<{
  readonly adapter: string
  readonly reason: string
  /** The platform's own hint of when to try again, in milliseconds. */
  readonly retryAfterMs?: number | undefined
}> {}

/** Retrying cannot help: channel archived, bot not in channel, forbidden, message rejected. */
export class ChatSendPermanent extends Data.TaggedError("ChatSendPermanent")<{
  readonly adapter: string
  readonly reason: string
}> {}

/** A `channel` / `user` string from StackStorm names nothing this adapter can reach. Permanent. */
export class ChatTargetUnknown extends Data.TaggedError("ChatTargetUnknown")<{
  readonly adapter: string
  readonly channel?: string | undefined
  readonly user?: string | undefined
  readonly reason: string
}> {}

export type ChatSendError = ChatSendTransient | ChatSendPermanent
export type ChatResolveError = ChatTargetUnknown | ChatSendTransient

export const isTransientSendError = (e: { readonly _tag: string }): e is ChatSendTransient =>
  e._tag === "ChatSendTransient"
