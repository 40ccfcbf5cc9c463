import { Either, Schema } from "effect"
import { ConfigError, type ConfigProblem } from "./ConfigError.ts"
import { type ConfigFile, ConfigFileSchema, RETIRED_KEYS } from "./ConfigFileSchema.ts"
import { makeDecodeContext } from "./DecodeContext.ts"
import { decodeAdapters } from "./decodeAdapters.ts"
import { decodeLimits } from "./decodeLimits.ts"
import { decodeLog } from "./decodeLog.ts"
import { decodeStackstorm } from "./decodeStackstorm.ts"
import { decodeWeb } from "./decodeWeb.ts"
import { dropPath } from "./dropPath.ts"
import { type FileReader, nodeFileReader } from "./FileReader.ts"
import { envDisablesTls, insecureTlsFindings } from "./insecureTls.ts"
import { type Env, interpolateEnv } from "./interpolateEnv.ts"
import { issuesToProblems } from "./issuesToProblems.ts"
import type { LoadedConfig } from "./LoadedConfig.ts"
import { normaliseEmpty } from "./normaliseEmpty.ts"

export { type FileReader, nodeFileReader } from "./FileReader.ts"

export interface DecodeOptions {
  /** Variables for `${VAR}` and the st2chatops `ST2_*` fallbacks. Default: none (pure). */
  readonly env?: Env
  /** Named in problems and value sources: the file path, or `<inline>` (default). */
  readonly source?: string
  /** Relative `*_file`, `ca_cert`, `client_cert`, `client_key`, `ca_file` paths resolve here. Default: cwd. */
  readonly baseDir?: string
  readonly readFile?: FileReader
  /** Whether a configuration without any StackStorm credential is a problem. Default true. */
  readonly requireCredential?: boolean
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

/**
 * Decodes an already parsed configuration (a YAML document, or an object built in code) and the
 * environment into the effective configuration, or a `ConfigError` listing every problem.
 * Precedence for each value: the file (including its `${VAR}`s), then the st2chatops variable
 * (`st2chatopsEnv.ts`), then the default. Files named by the configuration are read through
 * `readFile`. Each section has its decoder (`decodeStackstorm`, `decodeAdapters`...), run in the
 * file's order over one `DecodeContext`, so problems and warnings come in that order.
 */
export const decodeConfig = (
  raw: unknown,
  options: DecodeOptions = {},
): Either.Either<LoadedConfig, ConfigError> => {
  const env = options.env ?? {}
  const sourceName = options.source ?? "<inline>"
  const problems: ConfigProblem[] = []

  // 1. The document itself, `${VAR}`s, empty values.
  let root: unknown = raw ?? {}
  if (!isRecord(root)) {
    problems.push({
      path: "",
      message: "the configuration must be a mapping (key: value lines)",
      hint: "start from the example in docs/configuration.md",
    })
    root = {}
  }
  const interpolated = interpolateEnv(root, env)
  const tree = interpolated.value as Record<string, unknown>
  for (const p of interpolated.problems) {
    problems.push(p.problem)
    dropPath(tree, p.at)
  }
  const ctx = makeDecodeContext({
    env,
    sourceName,
    baseDir: options.baseDir ?? process.cwd(),
    readFile: options.readFile ?? nodeFileReader,
    variables: interpolated.variables,
    problems,
  })
  normaliseEmpty(tree, [], ctx.problem)

  // 2. Shapes and leaf values. Bad values are reported, dropped, and the rest decoded again, so
  //    the cross-field checks of the sections still run and every problem is reported at once.
  const decodeFile = Schema.decodeUnknownEither(ConfigFileSchema, {
    errors: "all",
    onExcessProperty: "error",
  })
  let decoded = decodeFile(tree)
  if (Either.isLeft(decoded)) {
    for (const l of issuesToProblems(decoded.left.issue, [], RETIRED_KEYS)) {
      problems.push(l.problem)
      dropPath(tree, l.at)
    }
    decoded = decodeFile(tree)
  }
  const file: ConfigFile = Either.isRight(decoded) ? decoded.right : {}

  // 3. The sections. `insecure_tls_for_all` before the adapters: with NODE_TLS_REJECT_UNAUTHORIZED=0
  //    it turns the default `tls.verify` of the adapters to false (insecureTls.ts).
  const stackstorm = decodeStackstorm(ctx, file.stackstorm ?? {}, options.requireCredential ?? true)
  const insecureTlsForAll = ctx.pick(
    "insecure_tls_for_all",
    [[file.insecure_tls_for_all, ctx.fromFile("insecure_tls_for_all")]],
    false,
  )
  const adapters = decodeAdapters(ctx, file.adapters, insecureTlsForAll && envDisablesTls(env))
  // NODE_TLS_REJECT_UNAUTHORIZED=0: refused without the opt-in, a warning with it.
  const tlsFindings = insecureTlsFindings({ adapters, optIn: insecureTlsForAll, env })
  if (tlsFindings.problem) problems.push(tlsFindings.problem)
  if (tlsFindings.warning) ctx.warnings.push(tlsFindings.warning)
  const web = decodeWeb(ctx, file.web)
  const limits = decodeLimits(ctx, file.limits)
  const log = decodeLog(ctx, file.log)

  if (problems.length > 0) return Either.left(new ConfigError({ source: sourceName, problems }))
  return Either.right({
    config: { insecureTlsForAll, stackstorm, adapters, web, limits, log },
    sources: ctx.sources,
    ...(options.source === undefined ? {} : { file: options.source }),
    warnings: ctx.warnings,
  })
}
