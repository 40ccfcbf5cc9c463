import { readdirSync, readFileSync, statSync } from "node:fs"
import { basename, dirname, extname, join } from "node:path"
import { Data, Either, ParseResult, Schema } from "effect"
import { parseAllDocuments } from "yaml"
import { ActionAlias } from "../st2/ActionAlias.ts"

/** An alias file that cannot be read or does not hold aliases; `message` says which and why. */
export class AliasFileError extends Data.TaggedError("AliasFileError")<{ readonly message: string }> {}

const decode = Schema.decodeUnknownEither(ActionAlias)
const YAML_EXT = new Set([".yaml", ".yml", ".json"])

/**
 * The pack of an alias file kept in StackStorm's layout, `<pack>/aliases/<file>.yaml`
 * (on disk, StackStorm takes the pack from the folder, so alias files rarely name it).
 */
const packFromPath = (file: string): string | undefined =>
  basename(dirname(file)) === "aliases" ? basename(dirname(dirname(file))) || undefined : undefined

const aliasesOfFile = (file: string): Either.Either<Array<ActionAlias>, AliasFileError> => {
  let text: string
  try {
    text = readFileSync(file, "utf8")
  } catch (e) {
    return Either.left(new AliasFileError({ message: `cannot read ${file}: ${(e as Error).message}` }))
  }
  // YAML is a superset of JSON: one parser reads an API dump (JSON array) and alias YAML files.
  const values: Array<unknown> = []
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      return Either.left(
        new AliasFileError({ message: `${file} is not valid JSON or YAML: ${doc.errors[0]!.message}` }),
      )
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) continue
    if (Array.isArray(value)) values.push(...value)
    else values.push(value)
  }
  const out: Array<ActionAlias> = []
  for (const [i, raw] of values.entries()) {
    const where = `${file}: alias #${i + 1}`
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      return Either.left(
        new AliasFileError({ message: `${where} is not an object (expected an ActionAlias)` }),
      )
    const withPack = { ...raw } as Record<string, unknown>
    if (withPack.pack === undefined) {
      const pack = packFromPath(file)
      if (pack === undefined)
        return Either.left(
          new AliasFileError({
            message: `${where} has no "pack": add one, or keep the file in StackStorm's layout <pack>/aliases/${basename(file)}`,
          }),
        )
      withPack.pack = pack
    }
    const decoded = decode(withPack)
    if (Either.isLeft(decoded))
      return Either.left(
        new AliasFileError({
          message: `${where} is not a valid ActionAlias: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left)}`,
        }),
      )
    out.push(decoded.right)
  }
  return Either.right(out)
}

/**
 * Reads aliases from a file or a folder:
 * - a JSON array of aliases as `GET /api/v1/actionalias` returns them;
 * - a YAML file holding one alias, a list of aliases, or several `---` documents;
 * - a folder: every `.yaml`/`.yml`/`.json` file in it (not recursive), in name order.
 * A missing `pack` is taken from the StackStorm layout `<pack>/aliases/<file>`.
 */
export const readAliasFiles = (path: string): Either.Either<ReadonlyArray<ActionAlias>, AliasFileError> => {
  let isDir: boolean
  try {
    isDir = statSync(path).isDirectory()
  } catch (e) {
    return Either.left(new AliasFileError({ message: `cannot read ${path}: ${(e as Error).message}` }))
  }
  if (!isDir) return aliasesOfFile(path)
  const files = readdirSync(path)
    .filter((f) => YAML_EXT.has(extname(f).toLowerCase()))
    .sort()
  if (files.length === 0)
    return Either.left(new AliasFileError({ message: `${path} holds no .yaml, .yml or .json alias files` }))
  const all: Array<ActionAlias> = []
  for (const f of files) {
    const r = aliasesOfFile(join(path, f))
    if (Either.isLeft(r)) return r
    all.push(...r.right)
  }
  return Either.right(all)
}
