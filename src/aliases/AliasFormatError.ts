import { Data } from "effect"

/**
 * A command that a format cannot take. `message` is StackStorm's exact text:
 * `Command "<command>" doesn't match format string "<format>"` or
 * `No value supplied and no default value found.`; for a format that cannot be compiled it is
 * `Format string "<format>" cannot be used: <reason>` (StackStorm itself fails with a 500 there).
 */
export class AliasFormatError extends Data.TaggedError("AliasFormatError")<{ readonly message: string }> {}
