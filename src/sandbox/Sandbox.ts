import { Effect, type Scope } from "effect"
import type { ActionAlias } from "../st2/ActionAlias.ts"
import type { SandboxUser } from "./Credentials.ts"
import { apiKeyString } from "./ids.ts"
import type { SandboxFaults } from "./SandboxFaults.ts"
import { SandboxServer } from "./SandboxServer.ts"
import { defaultAliases } from "./sandboxFiles.ts"

export type { SandboxApiKey, SandboxUser } from "./Credentials.ts"
export type { ApiMode, SandboxFaults, StreamMode } from "./SandboxFaults.ts"

export interface SandboxOptions {
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 0: a free port, chosen once and kept across `stop`/`start`. */
  readonly port?: number
  /** Default: the demo set in `defaultAliases.yaml`. */
  readonly aliases?: ReadonlyArray<ActionAlias>
  /** Default: st2's well-known `st2admin` / `Ch@ngeMe` with one generated API key. */
  readonly users?: ReadonlyArray<SandboxUser>
  /** Maximum and default token ttl (st2's `auth.token_ttl`), default 86400. */
  readonly tokenTtlSeconds?: number
  /** How long an execution stays `running` before its result, default 500 ms. */
  readonly resultDelayMs?: number
  /** The base of executions' `web_url`, default the sandbox's own URL. */
  readonly webUiUrl?: string
  /** Silence before a stream heartbeat (`\n`), default 25000 ms as st2stream. */
  readonly heartbeatMs?: number
}

export interface SandboxHandle {
  /** `http://HOST:PORT`: serves `/api/v1/...`, `/auth/v1/...`, `/stream/v1/stream` and `/v1/...`. */
  readonly url: string
  readonly port: number
  /** The default API key (the first key of the first user that has one). */
  readonly apiKey: string
  readonly users: ReadonlyArray<SandboxUser>
  readonly faults: SandboxFaults
  /** Execution records as `GET /api/v1/executions/{id}` returns them, oldest first. */
  executions(): ReadonlyArray<unknown>
  /** Pushes `{payload, trace_context: null}` as `st2.announcement__<route>` (`hubot` → `chatops`). */
  announce(route: string, payload: object): void
  /**
   * Adds an alias at run time (or replaces the one with that name), as an operator installing a
   * pack would; st2 fills in `id`, `ref`, `uid`, `enabled`. Streams that asked for
   * `st2.actionalias__create` get the event. Returns the alias as the API now serves it.
   */
  addAlias(alias: ActionAlias): ActionAlias
  /** Closes the server, every open stream and every connection; state is kept. */
  stop(): Promise<void>
  /** Listens again on the same port, with the same users, tokens and executions. */
  start(): Promise<void>
}

export const DEFAULT_USER = { name: "st2admin", password: "Ch@ngeMe" } as const

const firstKey = (users: ReadonlyArray<SandboxUser>): string => {
  for (const u of users)
    for (const k of u.api_keys ?? []) {
      const key = typeof k === "string" ? k : k.key
      if (typeof k === "string" || k.enabled !== false) return key
    }
  return ""
}

/** Starts a sandbox: a StackStorm-compatible server for tests and the demo. It is NOT StackStorm. */
export const startSandbox = async (options: SandboxOptions = {}): Promise<SandboxHandle> => {
  const users = options.users ?? [{ ...DEFAULT_USER, api_keys: [apiKeyString()] }]
  const server = new SandboxServer({
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    aliases: options.aliases ?? defaultAliases(),
    users,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 86400,
    resultDelayMs: options.resultDelayMs ?? 500,
    webUiUrl: options.webUiUrl,
    heartbeatMs: options.heartbeatMs ?? 25_000,
  })
  await server.start()
  return {
    get url() {
      return server.url
    },
    get port() {
      return server.port
    },
    apiKey: firstKey(users),
    users,
    faults: server.faults,
    executions: () => [...server.executions.all()].reverse(),
    announce: (route, payload) => server.announce(route, payload),
    addAlias: (alias) => server.addAlias(alias),
    stop: () => server.stop(),
    start: () => server.start(),
  }
}

/** A sandbox for the life of a scope: started on acquire, stopped on release. */
export const sandboxResource = (options?: SandboxOptions): Effect.Effect<SandboxHandle, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startSandbox(options)),
    (handle) => Effect.promise(() => handle.stop()),
  )
