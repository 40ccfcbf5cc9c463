import { readFileSync } from "node:fs"
import { Effect, Either } from "effect"
import { AliasIndex, type AliasMatch } from "../aliases/AliasIndex.ts"
import { extractParameters } from "../aliases/extractParameters.ts"
import { readAliasFiles } from "../aliases/readAliasFiles.ts"
import { aliasRef } from "../st2/ActionAlias.ts"
import { type CliCommand, ExitCode, parseFlags, UsageError } from "./CliCommand.ts"

const usage = `Usage: stormbot alias-test --format F --command C
       stormbot alias-test --aliases FILE (--command C | --batch FILE)
       stormbot alias-test --batch FILE

Matches commands against alias formats exactly as StackStorm would, without a StackStorm.
Prints JSON only on stdout.

  --format F      one format string (a representation, in Python's regex dialect)
  --aliases FILE  aliases: a JSON array as GET /api/v1/actionalias returns it, a YAML alias file
                  (one alias, a list, or several --- documents), or a folder of .yaml/.yml/.json
                  files; a missing "pack" is taken from the layout <pack>/aliases/<file>
  --command C     the chat command, without the bot's prefix
  --batch FILE    a JSON array of {"format", "command"} (or {"command"} with --aliases)

Output:
  --format:   {"params": {...}}  or  {"error": "<StackStorm's message>"}
  --aliases:  {"alias": "<pack.name>", "format": "<representation>", "params": {...}}
              {"alias", "format", "executions": [{...}, ...]}   for a match_multiple format
              {"error": "<StackStorm's message>"}
  --batch:    one JSON array of the above, in order

Exit codes: 0 every command matched; 1 a command did not (the JSON says why); 2 bad usage or an
unreadable file. Formats that cannot be used are reported on stderr and skipped.`

type Result = Record<string, unknown>

const fromMatch = (m: AliasMatch): Result => {
  if (m._tag !== "Matched") return { error: m.message }
  const head = { alias: aliasRef(m.alias), format: m.format }
  return m.multiple ? { ...head, executions: m.executions } : { ...head, params: m.executions[0] ?? {} }
}

const fromFormat = (format: string, command: string): Result =>
  Either.match(extractParameters(format, command), {
    onLeft: (e) => ({ error: e.message }),
    onRight: (params) => ({ params }),
  })

const usageError = (message: string) => new UsageError({ message })

interface BatchEntry {
  readonly format?: string
  readonly command: string
}

const readBatch = (
  file: string,
  needFormat: boolean,
): Either.Either<ReadonlyArray<BatchEntry>, UsageError> => {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, "utf8"))
  } catch (e) {
    return Either.left(usageError(`cannot read --batch ${file}: ${(e as Error).message}`))
  }
  if (!Array.isArray(raw)) return Either.left(usageError(`--batch ${file} must hold a JSON array`))
  const entries: Array<BatchEntry> = []
  for (const [i, e] of raw.entries()) {
    const entry = e as Record<string, unknown> | null
    const shape = needFormat ? '{"format": "...", "command": "..."}' : '{"command": "..."}'
    if (
      typeof entry !== "object" ||
      entry === null ||
      typeof entry.command !== "string" ||
      (needFormat && typeof entry.format !== "string")
    )
      return Either.left(usageError(`--batch ${file}: entry #${i + 1} must be ${shape}`))
    entries.push(
      needFormat ? { format: entry.format as string, command: entry.command } : { command: entry.command },
    )
  }
  return Either.right(entries)
}

export const aliasTestCommand: CliCommand = {
  name: ["alias-test"],
  summary: "Match commands against alias formats exactly as StackStorm would",
  usage,
  run: (args) =>
    Effect.gen(function* () {
      const { values } = yield* parseFlags(args, {
        format: { type: "string" },
        aliases: { type: "string" },
        command: { type: "string" },
        batch: { type: "string" },
      })
      if ((values.command === undefined) === (values.batch === undefined))
        return yield* Effect.fail(usageError("give exactly one of --command or --batch"))
      if (values.format !== undefined && values.aliases !== undefined)
        return yield* Effect.fail(usageError("give --format or --aliases, not both"))
      if (values.format !== undefined && values.batch !== undefined)
        return yield* Effect.fail(usageError('--batch entries carry their own "format": drop --format'))
      if (values.command !== undefined && values.format === undefined && values.aliases === undefined)
        return yield* Effect.fail(usageError("--command needs --format or --aliases"))

      let index: AliasIndex | undefined
      if (values.aliases !== undefined) {
        const aliases = readAliasFiles(values.aliases)
        if (Either.isLeft(aliases)) return yield* Effect.fail(usageError(aliases.left.message))
        index = AliasIndex.build(aliases.right)
        for (const r of index.rejected)
          yield* Effect.sync(() => console.error(`stormbot alias-test: ${r.message}`))
      }
      const run = (entry: BatchEntry): Result =>
        index !== undefined ? fromMatch(index.match(entry.command)) : fromFormat(entry.format!, entry.command)

      let output: Result | ReadonlyArray<Result>
      let failed: boolean
      if (values.batch !== undefined) {
        const entries = readBatch(values.batch, index === undefined)
        if (Either.isLeft(entries)) return yield* Effect.fail(entries.left)
        const results = entries.right.map(run)
        output = results
        failed = results.some((r) => "error" in r)
      } else {
        const result = run({ format: values.format, command: values.command! })
        output = result
        failed = "error" in result
      }
      yield* Effect.sync(() => process.stdout.write(`${JSON.stringify(output)}\n`))
      return failed ? ExitCode.failure : ExitCode.ok
    }),
}
