import type { CompiledFormat, FormatMatch } from "./CompiledFormat.ts"

/**
 * A format the linear matcher cannot take (back-references), to be run on the JavaScript engine
 * off the event loop (`RegexWorker.ts`) with a time limit: the bot's way to match such formats
 * without letting one command stall everything else.
 */
export interface SlowJob {
  readonly format: CompiledFormat
  /** `pack.name` of the (first) alias the format belongs to, for log lines and answers. */
  readonly alias: string
  /** The command's padded stream (`PreparedCommand.stream`). */
  readonly stream: string
  /** Every match (`finditer`) rather than the first (`search`). */
  readonly all: boolean
}

export type SlowOutcome =
  | { readonly _tag: "Matched"; readonly matches: ReadonlyArray<FormatMatch> }
  | { readonly _tag: "TimedOut" }

/**
 * The outcomes of the slow jobs of one command, handed back to `AliasIndex.match`, which asks
 * for the jobs it still lacks (`NeedsWorker`) until it can answer.
 */
export class SlowResults {
  private readonly first = new Map<CompiledFormat, SlowOutcome>()
  private readonly every = new Map<CompiledFormat, SlowOutcome>()

  get(format: CompiledFormat, all: boolean): SlowOutcome | undefined {
    return (all ? this.every : this.first).get(format)
  }

  set(job: SlowJob, outcome: SlowOutcome): void {
    ;(job.all ? this.every : this.first).set(job.format, outcome)
  }
}

/** `match` with `SlowResults`: these jobs must run before it can answer. */
export interface NeedsWorker {
  readonly _tag: "NeedsWorker"
  readonly jobs: ReadonlyArray<SlowJob>
}

/** A slow job ran out of time: whether the command matches that format is unknown. */
export interface MatchTimedOut {
  readonly _tag: "TimedOut"
  /** `pack.name` */
  readonly alias: string
  readonly format: string
}
