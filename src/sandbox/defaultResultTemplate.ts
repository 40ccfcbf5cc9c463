import { toHumanTimeFromSeconds } from "./humanTime.ts"
import { pyStr, pyTruthy } from "./pyStr.ts"

type Json = Record<string, unknown>

const isMapping = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v)

/** Jinja's `trim` filter: Python `str()` then strip. */
const trim = (v: unknown) => pyStr(v).trim()

/**
 * The `serialize` macro of the chatops pack's `default.j2`, whitespace included: one
 * `key : value` line per entry, mappings nested two spaces deeper, multi-line strings on their
 * own line.
 */
const serialize = (entries: ReadonlyArray<[string, unknown]>, prefix = ""): string =>
  entries
    .map(([key, value]) => {
      const head = `${prefix}${key} : `
      if (isMapping(value)) return `${head}\n${serialize(Object.entries(value), `${prefix}  `)}`
      if (typeof value === "string" && value.trim().split("\n").length > 1)
        return `${head}      \n${prefix}  ${value.trim()}\n`
      return `${head}${trim(value)}\n`
    })
    .join("")

const pick = (value: unknown, keys: ReadonlyArray<string>): Array<[string, unknown]> =>
  isMapping(value) ? Object.entries(value).filter(([k, v]) => keys.includes(k) && pyTruthy(v)) : []

const resultSection = (execution: Json): string => {
  const result = execution.result
  const runner = isMapping(execution.runner) ? String(execution.runner.name ?? "") : ""
  if (runner === "http-request") return `  ${serialize(isMapping(result) ? Object.entries(result) : [])}\n`
  if (["python-script", "windows-cmd", "windows-script"].includes(runner))
    return `${serialize(pick(result, ["result", "stdout", "stderr", "exit_code"]))}\n`
  if (["remote-shell-cmd", "remote-shell-script"].includes(runner))
    return (isMapping(result) ? Object.entries(result) : [])
      .map(
        ([host, value]) =>
          `${host} : \n${serialize(pick(value, ["stdout", "stderr", "return_code", "error"]), "  ")}\n`,
      )
      .join("")
  if (["local-shell-cmd", "local-shell-script"].includes(runner))
    return `${serialize(pick(result, ["stdout", "stderr", "return_code", "error"]))}\n`
  return isMapping(result) ? `${serialize(Object.entries(result))}\n` : `${pyStr(result)}\n`
}

/**
 * What the chatops pack's default result template (`templates/default.j2`, rendered by
 * `chatops.format_execution_result` with `trim_blocks` and `lstrip_blocks`) produces for an
 * execution record, character for character.
 */
export const renderDefaultResult = (execution: Json): string => {
  const action = isMapping(execution.action) ? execution.action : {}
  const str = (v: unknown) => (v === undefined ? "" : pyStr(v))
  let out = `\nAction ${str(action.ref)} completed.\nstatus : ${str(execution.status)}\nexecution: ${str(execution.id)}\n\n`
  if (pyTruthy(execution.web_url)) out += `web_url: ${str(execution.web_url)}\n`
  out += "\n"
  if (pyTruthy(execution.elapsed_seconds))
    out += `Took ${str(toHumanTimeFromSeconds(execution.elapsed_seconds))} to complete.\n`
  out += "\n"
  if (pyTruthy(execution.result)) out += `result :\n--------\n${resultSection(execution)}`
  return out
}
