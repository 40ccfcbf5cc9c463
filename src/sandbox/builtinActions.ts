import { hostname, loadavg, uptime, userInfo } from "node:os"

/** An action parameter as st2 declares it (the subset the sandbox casts and checks). */
export interface ParameterSpec {
  readonly type: "string" | "integer" | "number" | "boolean" | "array" | "object"
  readonly required?: boolean
  readonly default?: unknown
  readonly description?: string
  readonly immutable?: boolean
}

/** A runner type as `GET /api/v1/executions/{id}` shows it under `runner`. */
export interface RunnerSpec {
  readonly name: string
  readonly runner_module: string
  readonly description: string
  readonly runner_parameters: Record<string, ParameterSpec>
}

/** What running an action produced: the final status and st2's `result` for it. */
export type ActionOutcome =
  | { readonly status: "succeeded" | "failed"; readonly result: unknown }
  /** An inquiry: the execution waits in `pending` until someone answers. */
  | { readonly status: "pending"; readonly result: Record<string, unknown> }

/** A built-in action. `run` never touches a shell, the network or the file system. */
export interface ActionSpec {
  readonly pack: string
  readonly name: string
  readonly description: string
  readonly runner: RunnerSpec
  readonly parameters: Record<string, ParameterSpec>
  readonly run: (parameters: Record<string, unknown>) => ActionOutcome
}

const runner = (
  name: string,
  runner_module: string,
  description: string,
  runner_parameters: Record<string, ParameterSpec> = {},
): RunnerSpec => ({ name, runner_module, description, runner_parameters })

const runners = {
  local: runner("local-shell-cmd", "local_runner", "A runner to execute local actions as a fixed user.", {
    cmd: { type: "string", description: "Arbitrary Linux command to be executed on the local host." },
    timeout: { type: "integer", default: 60, description: "Action timeout in seconds." },
  }),
  remote: runner(
    "remote-shell-cmd",
    "remote_command_runner",
    "A remote execution runner that executes commands on remote hosts concurrently.",
    {
      cmd: { type: "string", description: "Arbitrary Linux command to be executed on the remote host(s)." },
      hosts: { type: "string", required: true, description: "A comma delimited string of a list of hosts." },
      timeout: { type: "integer", default: 60, description: "Action timeout in seconds." },
    },
  ),
  noop: runner("noop", "noop_runner", "A runner which does no operations."),
  python: runner("python-script", "python_runner", "A runner for launching python actions."),
  inquirer: runner("inquirer", "inquirer_runner", "A runner that pauses a workflow for a response.", {
    schema: { type: "object", description: "JSON schema the response must satisfy." },
    roles: { type: "array", default: [], description: "Roles permitted to respond." },
    users: { type: "array", default: [], description: "Users permitted to respond." },
    route: { type: "string", default: "", description: "Route for notifications." },
    ttl: { type: "integer", default: 1440, description: "Minutes before the inquiry times out." },
  }),
} as const

/** A shell-runner result as st2's local and remote runners return it. */
const shellResult = (stdout: string, stderr: string, code: number) => ({
  failed: code !== 0,
  return_code: code,
  stderr,
  stdout,
  succeeded: code === 0,
})

const pad2 = (n: number) => String(n).padStart(2, "0")
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

/** `date` in the C locale and UTC: `Thu Jul 28 00:30:39 UTC 2016`. */
const dateOutput = (d: Date) =>
  `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ` +
  `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`

const uptimeOutput = (d: Date) => {
  const total = Math.floor(uptime())
  const days = Math.floor(total / 86400)
  const hours = Math.floor((total % 86400) / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const up = `${days > 0 ? `${days} day${days === 1 ? "" : "s"}, ` : ""}${hours}:${pad2(minutes)}`
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")
  return ` ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} up ${up},  0 users,  load average: ${load}`
}

/** Removes one level of shell quoting from `echo`'s words, as a shell would for simple cases. */
const unquote = (text: string) =>
  (text.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^'(.*)'$|^"(.*)"$/s, "$1$2")).join(" ")

export const KNOWN_COMMANDS = ["date", "uptime", "whoami", "hostname", "echo ..."] as const

/**
 * Answers the few commands the sandbox knows from Node's APIs; anything else fails the way a
 * shell reports an unknown command. Never spawns a process.
 */
export const fakeShell = (cmd: string): ReturnType<typeof shellResult> => {
  const trimmed = cmd.trim()
  // The first word, and whether there are more (`trimmed` has no whitespace at either end).
  const space = /\s/.exec(trimmed)
  const word = space === null ? trimmed : trimmed.slice(0, space.index)
  const alone = space === null
  switch (word) {
    case "date":
      return alone ? shellResult(dateOutput(new Date()), "", 0) : refuse(trimmed)
    case "uptime":
      return alone ? shellResult(uptimeOutput(new Date()), "", 0) : refuse(trimmed)
    case "whoami":
      return alone ? shellResult(userInfo().username, "", 0) : refuse(trimmed)
    case "hostname":
      return alone ? shellResult(hostname(), "", 0) : refuse(trimmed)
    case "echo":
      return shellResult(unquote(trimmed.slice(4)), "", 0)
    default:
      return refuse(trimmed)
  }
}

const refuse = (cmd: string) =>
  shellResult(
    "",
    `bash: line 1: ${cmd.split(/\s+/)[0] ?? ""}: command not found ` +
      `(the StackStorm sandbox runs no shell; it answers only: ${KNOWN_COMMANDS.join(", ")})`,
    127,
  )

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "::1"])

const outcome = (result: { succeeded: boolean }) =>
  ({ status: result.succeeded ? "succeeded" : "failed", result }) as const

const pythonResult = (result: unknown, stdout = "", stderr = "", exit_code = 0) => ({
  exit_code,
  result,
  stderr,
  stdout,
})

const PACKS: Record<string, Record<string, unknown>> = {
  core: { name: "core", ref: "core", version: "3.9.0", description: "Basic core actions." },
  chatops: { name: "chatops", ref: "chatops", version: "3.9.0", description: "ChatOps integration pack" },
  packs: { name: "packs", ref: "packs", version: "3.9.0", description: "Pack management functionality." },
  sandbox: {
    name: "sandbox",
    ref: "sandbox",
    version: "0.1.0",
    description: "stormbot's StackStorm sandbox demo actions (not StackStorm).",
  },
}

/** The built-in actions, by ref. */
export const builtinActions: ReadonlyArray<ActionSpec> = [
  {
    pack: "core",
    name: "local",
    description: "Action that executes an arbitrary Linux command on the localhost.",
    runner: runners.local,
    parameters: {
      cmd: { type: "string", required: true, description: "Arbitrary Linux command to be executed." },
    },
    run: (p) => outcome(fakeShell(String(p.cmd ?? ""))),
  },
  {
    pack: "core",
    name: "remote",
    description: "Action to execute arbitrary linux command remotely.",
    runner: runners.remote,
    parameters: {
      cmd: { type: "string", required: true, description: "Arbitrary Linux command to be executed." },
    },
    run: (p) => {
      const hosts = String(p.hosts ?? "")
        .split(",")
        .map((h) => h.trim())
        .filter((h) => h !== "")
      const result: Record<string, unknown> = {}
      let ok = hosts.length > 0
      for (const host of hosts) {
        if (LOCAL_HOSTS.has(host) || host === hostname()) {
          const r = fakeShell(String(p.cmd ?? ""))
          ok &&= r.succeeded
          result[host] = r
        } else {
          ok = false
          result[host] = {
            ...shellResult("", "", 255),
            error: `Unable to connect to host ${host}: the StackStorm sandbox only answers for localhost.`,
          }
        }
      }
      return { status: ok ? "succeeded" : "failed", result }
    },
  },
  {
    pack: "core",
    name: "noop",
    description: "Action that executes nothing",
    runner: runners.noop,
    parameters: {},
    run: () => outcome(shellResult("", "", 0)),
  },
  {
    pack: "core",
    name: "echo",
    description: "Action that executes the Linux echo command on the localhost.",
    runner: runners.local,
    parameters: {
      message: { type: "string", required: true, description: "The message that the command will echo." },
    },
    run: (p) => outcome(shellResult(String(p.message ?? ""), "", 0)),
  },
  {
    pack: "core",
    name: "ask",
    description: "Action for initiating an Inquiry (usually in a workflow)",
    runner: runners.inquirer,
    parameters: {
      schema: {
        type: "object",
        default: {
          type: "object",
          properties: {
            continue: {
              type: "boolean",
              description: "Would you like to continue the workflow?",
              required: true,
            },
          },
        },
      },
      question: { type: "string", description: "The question shown to whoever answers (sandbox extra)." },
    },
    run: (p) => ({
      status: "pending",
      result: {
        schema: p.schema,
        roles: p.roles ?? [],
        users: p.users ?? [],
        route: p.route ?? "",
        ttl: p.ttl ?? 1440,
      },
    }),
  },
  {
    pack: "packs",
    name: "get",
    description: "Get information about installed pack.",
    runner: runners.python,
    parameters: { pack: { type: "string", required: true, description: "Name of pack to lookup" } },
    run: (p) => {
      const pack = PACKS[String(p.pack)]
      return pack === undefined
        ? {
            status: "failed",
            result: pythonResult(
              null,
              "",
              `Traceback (most recent call last):\nException: Pack "${String(p.pack)}" is not installed.\n`,
              1,
            ),
          }
        : { status: "succeeded", result: pythonResult({ pack, git_status: null }) }
    },
  },
  {
    pack: "sandbox",
    name: "issue",
    description: "Looks up an issue by key (made-up data).",
    runner: runners.python,
    parameters: { key: { type: "string", required: true, description: "Issue key such as OPS-12" } },
    run: (p) => ({
      status: "succeeded",
      result: pythonResult({ key: p.key, summary: `Made-up issue ${String(p.key)}`, status: "Open" }),
    }),
  },
  {
    pack: "sandbox",
    name: "fail",
    description: "Fails on purpose, to show what a failed execution looks like.",
    runner: runners.python,
    parameters: { reason: { type: "string", default: "on purpose", description: "Why it fails" } },
    run: (p) => ({
      status: "failed",
      result: pythonResult(
        null,
        "",
        `Traceback (most recent call last):\n  File "fail.py", line 7, in run\nRuntimeError: failed ${String(p.reason ?? "on purpose")}\n`,
        1,
      ),
    }),
  },
]
