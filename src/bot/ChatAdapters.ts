import { Context, Data } from "effect"
import type { ChatAdapter } from "../adapters/ChatAdapter.ts"
import type { OutboundQueue } from "../chat/OutboundQueue.ts"

/** A running chat backend and the outbound queue every message to it goes through. */
export interface RunningAdapter {
  readonly adapter: ChatAdapter
  readonly queue: OutboundQueue
}

export class UnknownAdapter extends Data.TaggedError("UnknownAdapter")<{ readonly name: string }> {}

/** The configured chat backends, by name, in configuration order. */
export class ChatAdapters extends Context.Tag("stormbot/ChatAdapters")<
  ChatAdapters,
  { readonly all: ReadonlyArray<RunningAdapter> }
>() {}
