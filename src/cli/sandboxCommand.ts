import { Effect, Either } from "effect"
import { type SandboxHandle, type SandboxOptions, startSandbox } from "../sandbox/Sandbox.ts"
import { loadAliasesFile, loadUsersFile } from "../sandbox/sandboxFiles.ts"
import { type CliCommand, ExitCode, intFlag, parseFlags, UsageError } from "./CliCommand.ts"

const usage = `Usage: stormbot sandbox [--port N] [--host H] [--aliases FILE] [--users FILE]
                        [--token-ttl SECONDS] [--result-delay MS]

Runs stormbot's StackStorm sandbox: a StackStorm-compatible server (st2api, st2auth and
st2stream on one port) for the demo and for tests. It is NOT StackStorm: it runs a few harmless
built-in actions and never a shell. It runs until Ctrl-C (SIGINT) or SIGTERM.

Flags:
  --port N              port to listen on (default 0: any free port)
  --host H              address to listen on (default 127.0.0.1)
  --aliases FILE        action aliases in StackStorm's format, YAML or JSON (default: the demo set)
  --users FILE          YAML: users: [{name, password, api_keys: [...], is_service, nicknames: {origin: nick}}]
                        (default: st2admin / Ch@ngeMe and one generated API key)
  --token-ttl SECONDS   maximum and default token lifetime (default 86400)
  --result-delay MS     how long executions run before their result (default 500)

Fault controls for tests: POST <url>/__sandbox/faults/... (see docs/sandbox.md).`

const banner = (h: SandboxHandle): string => {
  const lines = [
    "",
    "  *** stormbot StackStorm sandbox: this is NOT StackStorm (a test server with fake actions) ***",
    "",
    `  base URL:    ${h.url}`,
    `  auth URL:    ${h.url}/auth/v1`,
    `  API URL:     ${h.url}/api/v1`,
    `  stream URL:  ${h.url}/stream/v1/stream`,
    "",
    "  users:",
    ...h.users.map(
      (u) =>
        `    ${u.name} / ${u.password}${u.is_service ? " (service account)" : ""}${
          (u.api_keys ?? []).length > 0
            ? `  api keys: ${(u.api_keys ?? []).map((k) => (typeof k === "string" ? k : `${k.key}${k.enabled === false ? " (disabled)" : ""}`)).join(", ")}`
            : ""
        }`,
    ),
    "",
    `  try: curl -s -H 'St2-Api-Key: ${h.apiKey || "<key>"}' ${h.url}/api/v1/actionalias/help`,
    `  faults: POST ${h.url}/__sandbox/faults/... (docs/sandbox.md); Ctrl-C stops it.`,
    "",
  ]
  return lines.join("\n")
}

const fileFlag = <A>(path: string | undefined, load: (p: string) => Either.Either<A, { message: string }>) =>
  path === undefined
    ? Effect.succeed(undefined)
    : Either.match(load(path), {
        onLeft: (e) => Effect.fail(new UsageError({ message: e.message })),
        onRight: (a) => Effect.succeed(a),
      })

export const sandboxCommand: CliCommand = {
  name: ["sandbox"],
  summary: "Run the StackStorm sandbox (a StackStorm-compatible test server; NOT StackStorm)",
  usage,
  run: (args) =>
    Effect.gen(function* () {
      const { values } = yield* parseFlags(args, {
        port: { type: "string" },
        host: { type: "string" },
        aliases: { type: "string" },
        users: { type: "string" },
        "token-ttl": { type: "string" },
        "result-delay": { type: "string" },
      })
      const port = yield* intFlag("port", values.port)
      if (port !== undefined && port > 65535)
        return yield* Effect.fail(
          new UsageError({ message: `--port must be <= 65535, got "${values.port}"` }),
        )
      const tokenTtl = yield* intFlag("token-ttl", values["token-ttl"], 1)
      const resultDelay = yield* intFlag("result-delay", values["result-delay"])
      if (values.host !== undefined && values.host.trim() === "")
        return yield* Effect.fail(new UsageError({ message: "--host must not be empty" }))
      const aliases = yield* fileFlag(values.aliases, loadAliasesFile)
      const users = yield* fileFlag(values.users, loadUsersFile)
      const options: SandboxOptions = {
        ...(values.host === undefined ? {} : { host: values.host }),
        ...(port === undefined ? {} : { port }),
        ...(aliases === undefined ? {} : { aliases }),
        ...(users === undefined ? {} : { users }),
        ...(tokenTtl === undefined ? {} : { tokenTtlSeconds: tokenTtl }),
        ...(resultDelay === undefined ? {} : { resultDelayMs: resultDelay }),
      }
      return yield* Effect.scoped(
        Effect.gen(function* () {
          const handle = yield* Effect.acquireRelease(
            Effect.tryPromise({ try: () => startSandbox(options), catch: (e) => e }),
            (h) => Effect.promise(() => h.stop()),
          )
          yield* Effect.sync(() => console.log(banner(handle)))
          return yield* Effect.never
        }),
      ).pipe(
        Effect.catchAll((e) =>
          Effect.sync(() => {
            console.error(`stormbot sandbox: cannot start: ${e instanceof Error ? e.message : String(e)}`)
            return ExitCode.failure
          }),
        ),
      )
    }),
}
