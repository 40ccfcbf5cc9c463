/**
 * A message StackStorm wants in chat: an announcement's `payload` (contract §5, §6) or a webhook
 * body. Unset parameters arrive as `null`.
 */
export interface ChatDelivery {
  readonly message: string
  readonly channel?: string | null | undefined
  readonly user?: string | null | undefined
  readonly whisper?: boolean | null | undefined
  readonly extra?: Readonly<Record<string, unknown>> | null | undefined
  /** The `source_context` the command was sent with, echoed back (announcements only). */
  readonly context?: unknown
}
