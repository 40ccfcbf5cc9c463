import type { ConfigFile } from "./ConfigFileSchema.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import type { LimitsConfig } from "./StormbotConfig.ts"

/** The defaults of `limits`, in the file's units (seconds, bytes, counts). */
export const LIMITS_DEFAULTS = {
  max_command_length: 4096,
  match_timeout: 0.25,
  max_response_bytes: 16 * 1024 * 1024,
  stream_silence: 35,
  per_user_concurrency: 1,
  max_result_parts: 10,
  max_request_bytes: 1024 * 1024,
} as const

/** `limits`: each from the file or its default; durations become milliseconds. */
export const decodeLimits = (ctx: DecodeContext, lim: ConfigFile["limits"]): LimitsConfig => {
  const limit = (key: keyof typeof LIMITS_DEFAULTS): number =>
    ctx.pick(
      `limits.${key}`,
      [[lim?.[key] as number | undefined, ctx.fromFile(`limits.${key}`)]],
      LIMITS_DEFAULTS[key],
    )
  return {
    maxCommandLength: limit("max_command_length"),
    matchTimeoutMs: Math.round(limit("match_timeout") * 1000),
    maxResponseBytes: limit("max_response_bytes"),
    streamSilenceMs: Math.round(limit("stream_silence") * 1000),
    perUserConcurrency: limit("per_user_concurrency"),
    maxResultParts: limit("max_result_parts"),
    maxRequestBytes: limit("max_request_bytes"),
  }
}
