import { Layer, Logger, LogLevel } from "effect"

export type LogLevelName = "trace" | "debug" | "info" | "warning" | "error"
export type LogFormat = "auto" | "json" | "pretty"

const levels: Record<LogLevelName, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
}

/**
 * Logs go to stderr (stdout belongs to the terminal chat): one JSON object per line, or the
 * pretty format on a TTY. Secrets reach logs only as `Redacted`, which prints `<redacted>`.
 */
export const loggingLayer = (options: {
  readonly level: LogLevelName
  readonly format: LogFormat
  readonly write?: (line: string) => void
}): Layer.Layer<never> => {
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"))
  const pretty = options.format === "pretty" || (options.format === "auto" && process.stderr.isTTY === true)
  const logger =
    pretty && options.write === undefined
      ? Logger.prettyLogger({ stderr: true })
      : Logger.map(Logger.jsonLogger, (line) => write(line))
  return Layer.merge(
    Logger.replace(Logger.defaultLogger, logger),
    Logger.minimumLogLevel(levels[options.level]),
  )
}
