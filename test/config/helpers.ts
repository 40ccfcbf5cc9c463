import { Either } from "effect"
import type { ConfigError, ConfigProblem } from "../../src/config/ConfigError.ts"
import { type DecodeOptions, decodeConfig, type FileReader } from "../../src/config/decodeConfig.ts"
import type { LoadedConfig } from "../../src/config/LoadedConfig.ts"

/** A minimal valid file: one credential. */
export const minimal = { stackstorm: { api_auth: { key: "k-0123456789" } } }

/** Files held in memory, keyed by absolute path. */
export const memoryFiles =
  (files: Record<string, string>): FileReader =>
  (path) =>
    path in files ? { ok: true, text: files[path]! } : { ok: false, reason: "no such file" }

export const decodeOk = (raw: unknown, options: DecodeOptions = {}): LoadedConfig => {
  const r = decodeConfig(raw, { baseDir: "/cfg", readFile: memoryFiles({}), ...options })
  if (Either.isLeft(r)) throw new Error(`expected a valid configuration, got:\n${r.left.message}`)
  return r.right
}

export const decodeErr = (raw: unknown, options: DecodeOptions = {}): ConfigError => {
  const r = decodeConfig(raw, { baseDir: "/cfg", readFile: memoryFiles({}), ...options })
  if (Either.isRight(r)) throw new Error("expected a ConfigError")
  return r.left
}

export const problemAt = (e: ConfigError, path: string): ConfigProblem => {
  const p = e.problems.find((x) => x.path === path)
  if (p === undefined) throw new Error(`no problem at ${path}; problems:\n${e.message}`)
  return p
}
