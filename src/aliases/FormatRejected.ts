import { Data } from "effect"

/**
 * A format that the engine refuses to compile because it cannot match it exactly as StackStorm
 * would (or StackStorm itself cannot compile it). The alias's other formats keep working.
 */
export class FormatRejected extends Data.TaggedError("FormatRejected")<{
  /** `pack.name` */
  readonly alias: string
  /** The representation string as written. */
  readonly format: string
  readonly reason: string
  /** `Alias <alias>: format "<format>" is rejected: <reason>` */
  readonly message: string
}> {}

export const formatRejected = (alias: string, format: string, reason: string): FormatRejected =>
  new FormatRejected({
    alias,
    format,
    reason,
    message: `Alias ${alias}: format "${format}" is rejected: ${reason}`,
  })
