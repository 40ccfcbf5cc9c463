import { HashMap, Logger } from "effect"

/** Captures log lines (level, message, annotations) for assertions; a test helper, not a fake. */
export const captureLogs = () => {
  const lines: Array<{ level: string; message: string; annotations: Record<string, unknown> }> = []
  const logger = Logger.make(({ logLevel, message, annotations }) => {
    lines.push({
      level: logLevel.label,
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(HashMap.toEntries(annotations)),
    })
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}
