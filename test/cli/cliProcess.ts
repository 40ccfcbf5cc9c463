import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { fetch } from "undici"

/** The repository root: `src/main.ts` and `bin/stormbot.js` are resolved from here. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface CliProcess {
  readonly child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves when the process has exited and its output is fully read. */
  readonly exited: Promise<Exit>
  /** Resolves when `pred` holds for stdout/stderr; rejects (with both outputs) if the process exits first. */
  waitFor(stream: "stdout" | "stderr", pred: (text: string) => boolean): Promise<string>
}

/**
 * The environment of a spawned stormbot: the test runner's, minus anything stormbot reads as
 * configuration (st2chatops `ST2_*`, `STORMBOT_CONFIG`, `NODE_TLS_REJECT_UNAUTHORIZED`), so the
 * host cannot change the outcome.
 */
const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env))
    if (
      !k.startsWith("ST2_") &&
      !k.startsWith("STORMBOT_") &&
      !k.startsWith("VAULT_") &&
      k !== "NODE_TLS_REJECT_UNAUTHORIZED"
    )
      env[k] = v
  return { ...env, ...extra }
}

const running = new Set<ChildProcess>()
/** Children that lead their own process group (wrappers such as npm). */
const groupLeaders = new WeakSet<ChildProcess>()

/**
 * Spawns `node --import tsx src/main.ts ...args` in the repository root; with `script`,
 * `node <script> ...args`; with `command`, `<command> ...args` (e.g. `npm`). stdin: a string is
 * written and ended (piped input); `"open"` keeps it open; absent, it is ended at once.
 */
export const spawnCli = (
  args: ReadonlyArray<string>,
  options: { stdin?: string | "open"; env?: Record<string, string>; script?: string; command?: string } = {},
): CliProcess => {
  const argv =
    options.command !== undefined
      ? [...args]
      : options.script === undefined
        ? ["--import", "tsx", "src/main.ts", ...args]
        : [options.script, ...args]
  const child = spawn(options.command ?? process.execPath, argv, {
    cwd: repoRoot,
    env: cleanEnv(options.env ?? {}),
    stdio: ["pipe", "pipe", "pipe"],
    // A wrapper (npm → sh → node) gets its own process group, so a leftover is killed whole.
    detached: options.command !== undefined,
  })
  running.add(child)
  if (options.command !== undefined) groupLeaders.add(child)
  let out = ""
  let err = ""
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const w of [...waiters]) w()
  }
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    out += d
    notify()
  })
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d
    notify()
  })
  // A process that exits early closes stdin under our writes; the exit code tells the story.
  child.stdin!.on("error", () => {})
  if (options.stdin === undefined) child.stdin!.end()
  else if (options.stdin !== "open") child.stdin!.end(options.stdin)
  // "close" comes after the last output, so a waiter rejected on it has seen everything.
  let closed = false
  const exited = new Promise<Exit>((resolve) =>
    child.on("close", (code, signal) => {
      running.delete(child)
      closed = true
      notify()
      resolve({ code, signal })
    }),
  )
  const waitFor = (stream: "stdout" | "stderr", pred: (text: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const text = stream === "stdout" ? out : err
        if (pred(text)) {
          waiters.delete(check)
          resolve(text)
        } else if (closed) {
          waiters.delete(check)
          reject(
            new Error(
              `stormbot exited (${child.exitCode ?? child.signalCode}) before the expected ${stream}\n--- stdout\n${out}\n--- stderr\n${err}`,
            ),
          )
        }
      }
      waiters.add(check)
      check()
    })
  return { child, stdout: () => out, stderr: () => err, exited, waitFor }
}

/** Kills (SIGKILL) every stormbot a test left running; for `afterEach`. */
export const killLeftovers = async (): Promise<void> => {
  await Promise.all(
    [...running].map(async (child) => {
      const gone = new Promise((r) => child.once("close", r))
      if (groupLeaders.has(child) && child.pid !== undefined) process.kill(-child.pid, "SIGKILL")
      else child.kill("SIGKILL")
      await gone
    }),
  )
}

/** A temporary folder with `stormbot.yaml` holding `yaml`; answers its path and a cleanup. */
export const writeConfig = async (yaml: string) => {
  const dir = await mkdtemp(join(tmpdir(), "stormbot-cli-"))
  const path = join(dir, "stormbot.yaml")
  await writeFile(path, yaml)
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** A configuration for the sandbox at `url` with its default user (the terminal adapter by default). */
export const sandboxConfig = (url: string, extra = "") =>
  [
    "stackstorm:",
    `  url: ${url}`,
    "  api_auth:",
    "    user:",
    "      name: st2admin",
    '      password: "Ch@ngeMe"',
    extra,
  ].join("\n")

/** The messages of the JSON log lines in `stderr` (lines that are not JSON are skipped). */
export const logMessages = (stderr: string): string[] =>
  stderr.split("\n").flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { message?: unknown }
      return typeof entry.message === "string" ? [entry.message] : []
    } catch {
      return []
    }
  })

/** Lines of `text` that are structured log lines (JSON objects with a `logLevel`). */
export const jsonLogLines = (text: string): string[] =>
  text.split("\n").filter((line) => {
    try {
      const v = JSON.parse(line) as unknown
      return typeof v === "object" && v !== null && "logLevel" in v
    } catch {
      return false
    }
  })

/** The sandbox's admin state (`GET /__sandbox/state`). */
export const sandboxState = async (url: string) =>
  (await (await fetch(`${url}/__sandbox/state`)).json()) as { open_streams: number; executions: number }

/** Polls the sandbox until `pred` holds for its admin state. Bounded by the test's timeout. */
export const untilSandbox = async (
  url: string,
  pred: (s: { open_streams: number; executions: number }) => boolean,
) => {
  for (;;) {
    const s = await sandboxState(url)
    if (pred(s)) return s
    await new Promise((r) => setTimeout(r, 20))
  }
}
