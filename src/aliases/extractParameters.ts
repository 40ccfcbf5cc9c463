import { Either } from "effect"
import { AliasFormatError } from "./AliasFormatError.ts"
import { type CompiledFormat, compileFormat, extractAll, extractOne } from "./CompiledFormat.ts"
import { prepareCommand } from "./PreparedCommand.ts"

const CACHE_SIZE = 512
const cache = new Map<string, Either.Either<CompiledFormat, string>>()

/** Compiles `format` once; a small LRU keeps repeated `POST /aliasexecution` calls cheap. */
export const compiledFormat = (format: string): Either.Either<CompiledFormat, string> => {
  const hit = cache.get(format)
  if (hit !== undefined) {
    cache.delete(format)
    cache.set(format, hit)
    return hit
  }
  const compiled = compileFormat(format)
  cache.set(format, compiled)
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!)
  return compiled
}

const unusable = (format: string, reason: string) =>
  new AliasFormatError({ message: `Format string "${format}" cannot be used: ${reason}` })

/**
 * StackStorm's `extract_parameters(format, command)` for ONE format, without immutable
 * parameters: every value is a string. Fails with StackStorm's exact message.
 */
export const extractParameters = (
  format: string,
  command: string,
): Either.Either<Record<string, string>, AliasFormatError> =>
  Either.flatMap(
    Either.mapLeft(compiledFormat(format), (reason) => unusable(format, reason)),
    (compiled) =>
      Either.mapLeft(
        extractOne(compiled, prepareCommand(command)),
        (message) => new AliasFormatError({ message }),
      ),
  )

/**
 * `extract_parameters(format, command, match_multiple=True)`: one parameter set per occurrence
 * of the format anywhere in the command (Python's `finditer`); empty when there is none.
 */
export const extractMultipleParameters = (
  format: string,
  command: string,
): Either.Either<ReadonlyArray<Record<string, string>>, AliasFormatError> =>
  Either.flatMap(
    Either.mapLeft(compiledFormat(format), (reason) => unusable(format, reason)),
    (compiled) =>
      Either.all(extractAll(compiled, prepareCommand(command))).pipe(
        Either.mapLeft((message) => new AliasFormatError({ message })),
      ),
  )
