import type { ParsedCommand } from "./parseCommand.ts"

/**
 * One command typed in chat, as the supervisor routes it to the chat user's session.
 * `message` is the adapter's normalised inbound message (see src/adapters/ChatAdapter.ts).
 */
export interface CommandRequest<Message = unknown> {
  /** Unique per inbound command; travels in `source_context` and comes back with the result. */
  readonly id: string
  readonly adapter: string
  /** `<adapter>:<chat user id>`: one chat session per key. */
  readonly sessionKey: string
  readonly command: ParsedCommand
  readonly message: Message
}
