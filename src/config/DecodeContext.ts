import { isAbsolute, resolve } from "node:path"
import { Redacted } from "effect"
import type { ConfigProblem } from "./ConfigError.ts"
import type { LeafParser } from "./configLeaves.ts"
import type { FileReader } from "./FileReader.ts"
import type { Env } from "./interpolateEnv.ts"
import type { ValueSource } from "./LoadedConfig.ts"

/** One candidate of a value and where it would come from; the first defined one wins. */
export type Candidate<A> = readonly [A | undefined, ValueSource]

/** A file named by the configuration, read: its text and the absolute path it was read from. */
export interface ReadFile {
  readonly text: string
  readonly resolved: string
}

/**
 * What every section decoder shares while one configuration is decoded: the problems and
 * warnings found so far (every one is reported, not just the first), where each effective value
 * came from, the environment, and the files the configuration names. Paths are in the file's
 * vocabulary (`stackstorm.api_auth.key`); no message ever contains a secret.
 */
export interface DecodeContext {
  readonly env: Env
  readonly problems: ConfigProblem[]
  readonly warnings: ConfigProblem[]
  readonly sources: Map<string, ValueSource>
  /** Records a problem; answers `undefined` so a decoder can `return ctx.problem(...)`. */
  problem(path: string, message: string, hint?: string): undefined
  /** Whether a problem was already recorded at `prefix` or below it (to say one thing once). */
  hasProblemAt(prefix: string): boolean
  /** The source of a value the file set at `key` (with the `${VAR}`s it used; `readFrom` for a file it named). */
  fromFile(key: string, readFrom?: string): ValueSource
  fromEnv(variable: string): ValueSource
  /** The first defined candidate, its source recorded at `path`; else `dflt` (source: default). */
  pick<A>(path: string, candidates: ReadonlyArray<Candidate<A>>, dflt: A): A
  /** The first defined candidate, its source recorded at `path`; else `undefined` (nothing recorded). */
  pickOptional<A>(path: string, candidates: ReadonlyArray<Candidate<A>>): A | undefined
  /** A variable parsed by the rules of the key at `path`; unset or empty means absent (st2chatops.env exports empty ones). */
  envValue<A>(variable: string, path: string, parse: LeafParser<A>): A | undefined
  /** A secret from a variable (unset or empty: absent). */
  envSecret(variable: string): readonly [Redacted.Redacted<string>, ValueSource] | undefined
  /** A secret given inline or as `<key>_file` (contents, trailing newlines trimmed); both set is a problem. */
  secret(
    section: string,
    forms: ReadonlyArray<readonly [name: string, value: string | undefined]>,
  ): readonly [Redacted.Redacted<string>, ValueSource] | undefined
  /** A PEM file named at `key` (relative to the configuration's folder); not readable or not PEM is a problem. */
  pem(key: string, path: string | undefined): ReadFile | undefined
}

export interface DecodeContextOptions {
  readonly env: Env
  /** The configuration file, or `<inline>`: named in every `file` source. */
  readonly sourceName: string
  readonly baseDir: string
  readonly readFile: FileReader
  /** Dotted path of each interpolated string → the `${VAR}`s it used. */
  readonly variables: ReadonlyMap<string, ReadonlyArray<string>>
  /** Problems found before the context existed (the document, `${VAR}`s, shapes). */
  readonly problems: ConfigProblem[]
}

export const makeDecodeContext = (o: DecodeContextOptions): DecodeContext => {
  const { env, problems } = o
  const warnings: ConfigProblem[] = []
  const sources = new Map<string, ValueSource>()
  const problem = (path: string, message: string, hint?: string): undefined => {
    problems.push({ path, message, ...(hint === undefined ? {} : { hint }) })
    return undefined
  }
  const fromFile = (key: string, readFrom?: string): ValueSource => ({
    _tag: "file",
    path: o.sourceName,
    key,
    ...(o.variables.has(key) ? { variables: o.variables.get(key) } : {}),
    ...(readFrom === undefined ? {} : { readFrom }),
  })
  const fromEnv = (variable: string): ValueSource => ({ _tag: "env", variable })
  const pickOptional = <A>(path: string, candidates: ReadonlyArray<Candidate<A>>): A | undefined => {
    for (const [value, source] of candidates) {
      if (value !== undefined) {
        sources.set(path, source)
        return value
      }
    }
    return undefined
  }
  const read = (key: string, path: string): ReadFile | undefined => {
    const resolved = isAbsolute(path) ? path : resolve(o.baseDir, path)
    const r = o.readFile(resolved)
    if (!r.ok) {
      problem(
        key,
        `cannot read \`${path}\`: ${r.reason}`,
        "check the path (relative paths start at the configuration file's folder) and its permissions",
      )
      return undefined
    }
    return { text: r.text, resolved }
  }
  return {
    env,
    problems,
    warnings,
    sources,
    problem,
    hasProblemAt: (prefix) => problems.some((p) => p.path === prefix || p.path.startsWith(prefix)),
    fromFile,
    fromEnv,
    pick: (path, candidates, dflt) => {
      const value = pickOptional(path, candidates)
      if (value !== undefined) return value
      sources.set(path, { _tag: "default" })
      return dflt
    },
    pickOptional,
    envValue: (variable, path, parse) => {
      const v = env[variable]
      if (v === undefined || v === "") return undefined
      const r = parse(v)
      if (r.ok) return r.value
      problem(path, `(from ${variable}) ${r.message}`, r.hint)
      return undefined
    },
    envSecret: (variable) => {
      const v = env[variable]
      return v === undefined || v === "" ? undefined : ([Redacted.make(v), fromEnv(variable)] as const)
    },
    secret: (section, forms) => {
      const set = forms.filter(([, v]) => v !== undefined)
      if (set.length > 1) {
        problem(
          `${section}.${set[0]![0]}`,
          `${set.map(([n]) => `\`${n}\``).join(" and ")} are all set`,
          "keep exactly one of them",
        )
      }
      const [name, value] = set[0] ?? []
      if (name === undefined || value === undefined) return undefined
      const key = `${section}.${name}`
      if (!name.endsWith("_file")) return [Redacted.make(value), fromFile(key)]
      const r = read(key, value)
      if (r === undefined) return undefined
      const text = r.text.replace(/[\r\n]+$/, "")
      if (text === "") {
        problem(key, `\`${value}\` is empty`, "write the secret into the file")
        return undefined
      }
      return [Redacted.make(text), fromFile(key, r.resolved)]
    },
    pem: (key, path) => {
      if (path === undefined) return undefined
      const r = read(key, path)
      if (r === undefined) return undefined
      if (!r.text.includes("-----BEGIN ")) {
        problem(
          key,
          `\`${path}\` is not a PEM file (no -----BEGIN line)`,
          "give the path of a PEM-encoded file",
        )
        return undefined
      }
      return r
    },
  }
}
