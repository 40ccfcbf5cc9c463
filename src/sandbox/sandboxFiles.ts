import { readFileSync } from "node:fs"
import { Data, Either, ParseResult, Schema } from "effect"
import { parseAllDocuments } from "yaml"
import { ActionAlias } from "../st2/ActionAlias.ts"
import type { SandboxUser } from "./Credentials.ts"

/** A `--aliases` or `--users` file that cannot be read or does not hold what it should. */
export class SandboxFileError extends Data.TaggedError("SandboxFileError")<{ readonly message: string }> {}

const readText = (path: string, what: string): Either.Either<string, SandboxFileError> => {
  try {
    return Either.right(readFileSync(path, "utf8"))
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e)
    return Either.left(new SandboxFileError({ message: `cannot read the ${what} file ${path}: ${reason}` }))
  }
}

/** Every YAML document of `text` (JSON is YAML too). */
const documents = (text: string, path: string): Either.Either<unknown[], SandboxFileError> => {
  const docs = parseAllDocuments(text)
  const list = Array.isArray(docs) ? docs : [docs]
  const values: unknown[] = []
  for (const doc of list) {
    const error = doc.errors[0]
    if (error !== undefined) {
      return Either.left(
        new SandboxFileError({ message: `${path} is not valid YAML or JSON: ${error.message}` }),
      )
    }
    const value = doc.toJS()
    if (value !== null && value !== undefined) values.push(value)
  }
  return Either.right(values)
}

const decodeAlias = Schema.decodeUnknownEither(ActionAlias, { onExcessProperty: "ignore" })

/**
 * Aliases in StackStorm's alias format from YAML or JSON text: one alias per document, a list of
 * aliases, or `{aliases: [...]}`.
 */
export const parseAliases = (text: string, path: string): Either.Either<ActionAlias[], SandboxFileError> =>
  Either.flatMap(documents(text, path), (docs) => {
    const raw = docs.flatMap((d) =>
      Array.isArray(d)
        ? d
        : d !== null && typeof d === "object" && Array.isArray((d as { aliases?: unknown }).aliases)
          ? (d as { aliases: unknown[] }).aliases
          : [d],
    )
    if (raw.length === 0) return Either.left(new SandboxFileError({ message: `${path} holds no alias` }))
    const aliases: ActionAlias[] = []
    for (const [i, item] of raw.entries()) {
      const decoded = decodeAlias(item)
      if (Either.isLeft(decoded)) {
        const name =
          item !== null && typeof item === "object" && typeof (item as { name?: unknown }).name === "string"
            ? ` ("${(item as { name: string }).name}")`
            : ""
        const detail = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
          .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(alias)"}: ${issue.message}`)
          .join("; ")
        return Either.left(
          new SandboxFileError({
            message: `${path}: alias #${i + 1}${name} is not a StackStorm action alias: ${detail}. An alias needs name, pack, action_ref and formats.`,
          }),
        )
      }
      aliases.push(decoded.right)
    }
    return Either.right(aliases)
  })

const ApiKeyEntry = Schema.Union(
  Schema.String,
  Schema.Struct({ key: Schema.String, enabled: Schema.optional(Schema.Boolean) }),
)

const UsersFile = Schema.Struct({
  users: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      password: Schema.String,
      api_keys: Schema.optional(Schema.Array(ApiKeyEntry)),
      is_service: Schema.optional(Schema.Boolean),
      nicknames: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
    }),
  ),
})

/** A `--users` file: `users: [{name, password, api_keys, is_service, nicknames}]`. */
export const parseUsers = (text: string, path: string): Either.Either<SandboxUser[], SandboxFileError> =>
  Either.flatMap(documents(text, path), (docs) => {
    const decoded = Schema.decodeUnknownEither(UsersFile, { onExcessProperty: "error" })(docs[0])
    if (Either.isLeft(decoded)) {
      const detail = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
        .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(file)"}: ${issue.message}`)
        .join("; ")
      return Either.left(
        new SandboxFileError({
          message: `${path} is not a sandbox users file: ${detail}. Expected users: [{name, password, api_keys, is_service, nicknames}]`,
        }),
      )
    }
    const users = decoded.right.users.map((u) => ({ ...u }) as SandboxUser)
    if (users.length === 0) return Either.left(new SandboxFileError({ message: `${path} defines no user` }))
    const names = new Set<string>()
    for (const u of users) {
      if (names.has(u.name))
        return Either.left(new SandboxFileError({ message: `${path}: user "${u.name}" is defined twice` }))
      names.add(u.name)
    }
    return Either.right(users)
  })

export const loadAliasesFile = (path: string) =>
  Either.flatMap(readText(path, "aliases"), (t) => parseAliases(t, path))
export const loadUsersFile = (path: string) =>
  Either.flatMap(readText(path, "users"), (t) => parseUsers(t, path))

/** The demo aliases that ship with the sandbox (`defaultAliases.yaml` beside this file). */
export const defaultAliases = (): ReadonlyArray<ActionAlias> => {
  const path = new URL("./defaultAliases.yaml", import.meta.url)
  const parsed = parseAliases(readFileSync(path, "utf8"), "defaultAliases.yaml")
  if (Either.isLeft(parsed))
    throw new Error(`the sandbox's own defaultAliases.yaml is broken: ${parsed.left.message}`)
  return parsed.right
}
