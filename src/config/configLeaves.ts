import { ParseResult, Schema } from "effect"
import { suggestion } from "./didYouMean.ts"

/**
 * Leaf schemas of the configuration file. Each accepts `unknown` and fails with a message written
 * for the operator (and an optional hint); only non-secret leaves ever quote the bad value.
 */

export type LeafResult<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly message: string; readonly hint?: string | undefined }

const ok = <A>(value: A): LeafResult<A> => ({ ok: true, value })
const fail = <A>(message: string, hint?: string): LeafResult<A> => ({ ok: false, message, hint })

/** Separates message from hint inside a `ParseResult.Type` message (see `issuesToProblems`). */
export const HINT_SEPARATOR = "\u0000"

/** A leaf's parser, kept so the same rules apply to values from environment variables. */
export type LeafParser<A> = (u: unknown) => LeafResult<A>

export interface Leaf<A> extends Schema.Schema<A, unknown> {}

/** Wraps a parser as a schema whose failure carries the parser's message and hint. */
export const leaf = <A>(parse: LeafParser<A>): Leaf<A> =>
  Schema.transformOrFail(Schema.Unknown, Schema.Any, {
    strict: true,
    decode: (u, _options, ast) => {
      const r = parse(u)
      return r.ok
        ? ParseResult.succeed(r.value)
        : ParseResult.fail(
            new ParseResult.Type(
              ast,
              u,
              r.hint === undefined ? r.message : `${r.message}${HINT_SEPARATOR}${r.hint}`,
            ),
          )
    },
    encode: ParseResult.succeed,
  }) as unknown as Leaf<A>

/** What kind of YAML value `u` is, for messages that must not quote it. */
export const kindOf = (u: unknown): string =>
  u === null || u === undefined
    ? "nothing"
    : Array.isArray(u)
      ? "a list"
      : typeof u === "object"
        ? "a mapping"
        : typeof u === "string"
          ? "text"
          : typeof u === "number"
            ? "a number"
            : typeof u === "boolean"
              ? `\`${u}\``
              : typeof u

export const parseText =
  (options: { readonly allowEmpty?: boolean; readonly secret?: boolean } = {}): LeafParser<string> =>
  (u) =>
    typeof u !== "string"
      ? fail(
          `must be text, got ${kindOf(u)}`,
          options.secret ? "quote the value in the YAML file" : "put the value in quotes",
        )
      : !options.allowEmpty && u.trim() === ""
        ? fail("must not be empty")
        : ok(u)

/** An http(s) URL without credentials, query or fragment; trailing slashes removed. */
export const parseHttpUrl: LeafParser<string> = (u) => {
  if (typeof u !== "string") return fail(`must be an http(s) URL, got ${kindOf(u)}`)
  // A value with `@` may carry a password: never quote it.
  const shown = u.includes("@") ? "the value" : `\`${u}\``
  let url: URL
  try {
    url = new URL(u.trim())
  } catch {
    return fail(`${shown} is not a URL`, "write a full URL such as https://st2.example.com/api/v1")
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail(`${shown} is not an http(s) URL`, "start it with https:// (or http://)")
  }
  if (url.username !== "" || url.password !== "") {
    return fail("must not contain a user name or password", "put credentials in stackstorm.api_auth")
  }
  if (url.search !== "" || url.hash !== "") {
    return fail(`${shown} must not have a query (?...) or fragment (#...)`, "remove everything from ? or #")
  }
  return ok(`${url.origin}${url.pathname.replace(/\/+$/, "")}`)
}

const NUMBER = /^\s*\d+(\.\d+)?\s*$/

export const parseInteger =
  (min: number, max = Number.MAX_SAFE_INTEGER): LeafParser<number> =>
  (u) => {
    const n = typeof u === "number" ? u : typeof u === "string" && NUMBER.test(u) ? Number(u) : Number.NaN
    if (!Number.isInteger(n))
      return fail(`must be a whole number, got ${typeof u === "string" ? `\`${u}\`` : kindOf(u)}`)
    if (n < min || n > max) {
      return fail(
        `must be between ${min} and ${max === Number.MAX_SAFE_INTEGER ? "any larger number" : max}, got ${n}`,
      )
    }
    return ok(n)
  }

/** Seconds, possibly fractional, greater than 0 and at most `max`. */
export const parseSeconds =
  (max: number): LeafParser<number> =>
  (u) => {
    const n = typeof u === "number" ? u : typeof u === "string" && NUMBER.test(u) ? Number(u) : Number.NaN
    if (!Number.isFinite(n))
      return fail(`must be a number of seconds, got ${typeof u === "string" ? `\`${u}\`` : kindOf(u)}`)
    if (n <= 0 || n > max) return fail(`must be more than 0 and at most ${max} seconds, got ${n}`)
    return ok(n)
  }

export const parseBoolean: LeafParser<boolean> = (u) => {
  if (typeof u === "boolean") return ok(u)
  if (typeof u === "string" && /^(true|false)$/i.test(u.trim())) return ok(u.trim().toLowerCase() === "true")
  return fail(`must be true or false, got ${typeof u === "string" ? `\`${u}\`` : kindOf(u)}`)
}

export const parseOneOf =
  <const T extends string>(values: ReadonlyArray<T>): LeafParser<T> =>
  (u) =>
    typeof u === "string" && (values as ReadonlyArray<string>).includes(u)
      ? ok(u as T)
      : fail(
          `must be one of ${values.map((v) => `\`${v}\``).join(", ")}, got ${typeof u === "string" ? `\`${u}\`` : kindOf(u)}`,
          typeof u === "string" ? suggestion(u, values, "valid values") : undefined,
        )

/** `{}` (or YAML's empty value): a marker whose presence is the setting. Keys are refused. */
export const parseEmptyMapping: LeafParser<Record<string, never>> = (u) => {
  if (u === null || typeof u !== "object" || Array.isArray(u)) return fail(`must be {}, got ${kindOf(u)}`)
  const keys = Object.keys(u)
  return keys.length === 0
    ? ok({})
    : fail(`takes no settings, got ${keys.map((k) => `\`${k}\``).join(", ")}`, "write {}")
}

export const EmptyMapping = leaf(parseEmptyMapping)
export const Text = leaf(parseText())
export const TextOrEmpty = leaf(parseText({ allowEmpty: true }))
export const SecretText = leaf(parseText({ secret: true }))
export const FilePath = leaf(parseText())
export const HttpUrl = leaf(parseHttpUrl)
export const Bool = leaf(parseBoolean)
export const integer = (min: number, max?: number) => leaf(parseInteger(min, max))
export const seconds = (max: number) => leaf(parseSeconds(max))
export const oneOf = <const T extends string>(values: ReadonlyArray<T>) => leaf(parseOneOf(values))
