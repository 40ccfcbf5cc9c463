import { type Logger, LogLevel } from "@slack/bolt"

/** Where the Slack SDK's own log lines go; stormbot reports what matters as status changes. */
export type SlackLogSink = (level: "debug" | "info" | "warn" | "error", message: string) => void

/**
 * Bolt / socket-mode / web-api `Logger` that forwards to `sink` with tokens masked (the SDK logs
 * request bodies at debug level). The default sink keeps errors only, on stderr.
 */
export const makeSlackLogger = (name: string, sink?: SlackLogSink): Logger => {
  const out: SlackLogSink =
    sink ??
    ((level, message) => {
      if (level === "error") process.stderr.write(`[slack ${name}] ${message}\n`)
    })
  const emit =
    (level: "debug" | "info" | "warn" | "error") =>
    (...msg: unknown[]) =>
      out(
        level,
        msg
          .map(String)
          .join(" ")
          .replace(/xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+/g, "xox?-***"),
      )
  let level: LogLevel = LogLevel.ERROR
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    setLevel: (l) => {
      level = l
    },
    getLevel: () => level,
    setName: () => {},
  }
}
