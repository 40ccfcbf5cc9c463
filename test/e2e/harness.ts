import { Cause, Effect, Either, Exit, HashMap, Logger, LogLevel, Redacted, Scope } from "effect"
import { afterEach, expect, vi } from "vitest"
import { type Bot, runBot } from "../../src/actors/runBot.ts"
import type { ChatAdapter } from "../../src/adapters/ChatAdapter.ts"
import { decodeConfig } from "../../src/config/decodeConfig.ts"
import type { StormbotConfig } from "../../src/config/StormbotConfig.ts"
import type { CredentialTimings } from "../../src/machines/credentialMachine.ts"
import {
  DEFAULT_USER,
  type SandboxHandle,
  type SandboxOptions,
  startSandbox,
} from "../../src/sandbox/Sandbox.ts"
import type { CredentialSource } from "../../src/st2/CredentialSource.ts"
import { type FakeChatAdapter, type FakeSent, makeFakeChatAdapter } from "../fakes/FakeChatAdapter.ts"

/**
 * The whole loop in one process: the StackStorm sandbox, `runBot` with the in-memory chat
 * adapter, and every log line the bot wrote. Each test starts its own and stops it in
 * `afterEach` (`stop` closes the bot's scope, then the sandbox).
 */
export interface Harness {
  readonly sandbox: SandboxHandle
  readonly fake: FakeChatAdapter
  readonly bot: Bot
  readonly logs: ReadonlyArray<LogLine>
  /** Sent messages whose text contains `needle` (or matches it). */
  readonly sent: (needle: string | RegExp, to?: string) => ReadonlyArray<FakeSent>
  readonly stop: () => Promise<void>
}

export interface LogLine {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
  readonly cause?: string
}

export interface HarnessOptions {
  readonly sandbox?: SandboxOptions
  /** Extra keys of the config's `stackstorm` section (e.g. `route_key`). */
  readonly stackstorm?: Record<string, unknown>
  /** Runs after the sandbox started and before the bot starts (e.g. put the API down). */
  readonly beforeBot?: (sandbox: SandboxHandle) => void
  readonly credential?: "password" | "apiKey"
  readonly credentialTimings?: Partial<CredentialTimings>
  readonly credentialWaitMs?: number
  readonly maxMessageLength?: number
  readonly perUserConcurrency?: number
  /** Keys of the config's `limits` section (e.g. `max_command_length`). */
  readonly limits?: Record<string, unknown>
}

/**
 * For files whose tests each start their own harness: registers an `afterEach` that stops every
 * harness the returned function started during the test. Call it once, at the top of the file.
 */
export const harnessPerTest = (): ((options?: HarnessOptions) => Promise<Harness>) => {
  const started: Array<Harness> = []
  afterEach(async () => {
    for (const h of started.splice(0)) await h.stop()
  })
  return async (options) => {
    const h = await startHarness(options)
    started.push(h)
    return h
  }
}

/** Retries of the credential actor, fast enough for tests (its defaults wait seconds). */
export const fastCredentialRetries: Partial<CredentialTimings> = { retryBaseMs: 100, retryMaxMs: 500 }

export const startHarness = async (options: HarnessOptions = {}): Promise<Harness> => {
  const sandbox = await startSandbox({
    port: 0,
    resultDelayMs: 30,
    heartbeatMs: 200,
    ...options.sandbox,
  })
  options.beforeBot?.(sandbox)
  const fake = makeFakeChatAdapter({ maxMessageLength: options.maxMessageLength ?? 4_000 })
  const decoded = decodeConfig({
    stackstorm: {
      url: sandbox.url,
      api_auth: { user: { name: DEFAULT_USER.name, password: DEFAULT_USER.password } },
      ...options.stackstorm,
    },
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  })
  if (Either.isLeft(decoded)) throw new Error(`bad test config: ${JSON.stringify(decoded.left)}`)
  const credential: CredentialSource =
    options.credential === "apiKey"
      ? { _tag: "ApiKey", key: Redacted.make(sandbox.apiKey) }
      : { _tag: "Password", username: DEFAULT_USER.name, password: Redacted.make(DEFAULT_USER.password) }

  const logs: LogLine[] = []
  const logger = Logger.make(({ logLevel, message, annotations, cause }) => {
    logs.push({
      level: logLevel.label,
      ...(Cause.isEmpty(cause) ? {} : { cause: Cause.pretty(cause) }),
      message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
      annotations: Object.fromEntries(HashMap.toEntries(annotations)),
    })
  })
  const scope = Effect.runSync(Scope.make())
  let bot: Bot
  try {
    bot = await Effect.runPromise(
      runBot({
        config: decoded.right.config,
        adapters: [fake],
        credential,
        credentialTimings: options.credentialTimings ?? fastCredentialRetries,
        drainTimeoutMs: 2_000,
        ...(options.credentialWaitMs === undefined ? {} : { credentialWaitMs: options.credentialWaitMs }),
        ...(options.perUserConcurrency === undefined
          ? {}
          : { perUserConcurrency: options.perUserConcurrency }),
      }).pipe(
        Scope.extend(scope),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.Debug),
      ),
    )
  } catch (e) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await sandbox.stop()
    throw e
  }
  const sent = (needle: string | RegExp, to?: string) =>
    fake.outbound.filter(
      (m) =>
        (to === undefined || m.to === to) &&
        (typeof needle === "string" ? m.text.includes(needle) : needle.test(m.text)),
    )
  let stopped: Promise<void> | undefined
  return {
    sandbox,
    fake,
    bot,
    logs,
    sent,
    // Idempotent: a test may stop its harness itself and `harnessPerTest` stops it again.
    stop: () => {
      stopped ??= (async () => {
        await Effect.runPromise(Scope.close(scope, Exit.void))
        await sandbox.stop()
      })()
      return stopped
    },
  }
}

/** Polls `check` until it holds (vitest's `vi.waitFor`); the message says what never happened. */
export const waitFor = async (
  check: () => boolean,
  what: string | (() => string),
  timeout = 15_000,
): Promise<void> => {
  await vi.waitFor(
    () => {
      if (!check()) throw new Error(`still waiting for ${typeof what === "string" ? what : what()}`)
    },
    { timeout, interval: 20 },
  )
}

/** The supervisor child `id`'s current state value, e.g. the stream's `"connected"`. */
export const childState = (bot: Bot, id: string): unknown =>
  (bot.supervisor.system.get(id) as { getSnapshot(): { value: unknown } } | undefined)?.getSnapshot().value

/** Waits until the stream actor is connected to st2 (its subscription is open). */
export const streamConnected = (h: Harness, timeout = 15_000) =>
  waitFor(
    () => JSON.stringify(childState(h.bot, "stream") ?? "").includes("connected"),
    () => `the stream to be live (it is ${JSON.stringify(childState(h.bot, "stream"))})`,
    timeout,
  )

/** Waits until the alias set has loaded and no refresh is running. */
export const aliasesLoaded = (h: Harness, timeout = 15_000) =>
  waitFor(
    () => childState(h.bot, "aliasSync") === "ready",
    () => `the aliases to load (alias sync is ${JSON.stringify(childState(h.bot, "aliasSync"))})`,
    timeout,
  )

/** Announcement results of the `remote_run` demo alias: `localhost: <stdout>` lines. */
export const isRunResult = (m: FakeSent) => /^localhost: /.test(m.text)

/** Acks of the `remote_run` demo alias. */
export const isRunAck = (m: FakeSent) => m.text.startsWith("Running `")

/** A failure any command could have been answered with. */
export const isFailureAnswer = (m: FakeSent) =>
  /not reachable|cannot log in|rejected|not run|failed with an internal error|refused|did not understand/.test(
    m.text,
  )

/** How many times the bot's stream has connected so far (its "stream connected" log lines). */
export const streamConnects = (h: Harness): number =>
  h.logs.filter((l) => l.message === "stream connected").length

/** Waits until the stream has connected more than `before` times (it noticed a fault and recovered). */
export const streamReconnected = (h: Harness, before: number, timeout = 20_000) =>
  waitFor(
    () =>
      streamConnects(h) > before && JSON.stringify(childState(h.bot, "stream") ?? "").includes("connected"),
    () => `the stream to reconnect (it is ${JSON.stringify(childState(h.bot, "stream"))})`,
    timeout,
  )

/**
 * Starts `n` inquiries (`!st2 ask ...`) from `user` in `room` and waits for their acks: their
 * executions then stay `pending` until `sandbox.faults.expireInquiries()` finishes them all, so a
 * test decides exactly when st2 announces their results (after a fault healed).
 */
export const startInquiries = async (h: Harness, room: string, n: number, user = "asker") => {
  const before = h.sandbox.executions().length
  for (let i = 0; i < n; i++) h.fake.say(user, room, `!st2 ask question ${i}?`)
  await waitFor(
    () => pendingInquiries(h).length >= n && h.sent(/core\.ask/, `#${room}`).length >= n,
    () => `${n} inquiries acked in #${room} (${h.sent(/core\.ask/, `#${room}`).length} acks)`,
  )
  return h.sandbox.executions().length - before
}

export const pendingInquiries = (h: Harness) =>
  (h.sandbox.executions() as ReadonlyArray<{ status: string; action?: { ref?: string } }>).filter(
    (e) => e.status === "pending" && e.action?.ref === "core.ask",
  )

/** Results of inquiries that timed out (`expireInquiries`), as the default template renders them. */
export const inquiryResults = (h: Harness, room: string) =>
  h.fake.outbound.filter((m) => m.to === `#${room}` && /status : timeout/.test(m.text))

/** "stream reconnecting" log lines so far, with their reasons. */
export const streamFailures = (h: Harness): ReadonlyArray<string> =>
  h.logs
    .filter(
      (l) => l.message === "stream reconnecting" || l.message === "stream waiting for a fresh credential",
    )
    .map((l) => String(l.annotations.reason))

/**
 * The property every fault test checks: with inquiries pending in st2 (executions running
 * across the fault), `inject` the fault, wait for `healed` (the test may first wait for the bot
 * to notice), then have st2 finish every pending inquiry. Each of their results, all announced
 * after the recovery, reaches the room; so does every result of commands typed afterwards.
 */
export const resultsSurviveFault = async (
  h: Harness,
  room: string,
  fault: { readonly inject: () => unknown; readonly heal: () => unknown },
  counts: { readonly running?: number; readonly after?: number } = {},
) => {
  const running = counts.running ?? 5
  const after = counts.after ?? 5
  await aliasesLoaded(h)
  await streamConnected(h)
  await startInquiries(h, room, running)
  const connects = streamConnects(h)
  await fault.inject()
  await fault.heal()
  await streamReconnected(h, connects)
  h.sandbox.faults.expireInquiries()
  await waitFor(
    () => inquiryResults(h, room).length === running,
    () => `${running} inquiry results in #${room} (got ${inquiryResults(h, room).length})`,
  )
  for (let i = 0; i < after; i++) h.fake.say("later", room, "!st2 run date on localhost")
  const runResults = () => h.fake.outbound.filter((m) => m.to === `#${room}` && isRunResult(m))
  await waitFor(
    () => runResults().length === after,
    () => `${after} results of commands typed after recovery (got ${runResults().length})`,
  )
  await waitFor(() => outstanding(h) === 0, "no result still owed")
  // Nothing was delivered twice.
  expect(inquiryResults(h, room)).toHaveLength(running)
  expect(h.fake.outbound.filter((m) => m.to === `#${room}` && isFailureAnswer(m))).toEqual([])
}

/** Results the bot still expects from st2 (its PendingResults count). */
export const outstanding = (h: Harness): number => Effect.runSync(h.bot.pending.outstanding)

/** `runBot` on a running sandbox with the given chat adapters, for backend-specific loop tests. */
export interface BotOnSandbox {
  readonly bot: Bot
  /** Every log line: the message, then its annotations as JSON. */
  readonly logs: ReadonlyArray<string>
  readonly stop: () => Promise<void>
}

/**
 * Starts the bot against `sandbox` (logged in as the sandbox's default user) with the adapters
 * `adapters` builds from the decoded configuration (`config` is merged into the file, e.g. an
 * `adapters:` list); returns once aliases are loaded and the st2 stream is live.
 */
export const startBotOn = async (
  sandbox: SandboxHandle,
  options: {
    readonly config?: Record<string, unknown>
    readonly adapters: (config: StormbotConfig) => ReadonlyArray<ChatAdapter>
  },
): Promise<BotOnSandbox> => {
  const decoded = decodeConfig({
    stackstorm: {
      url: sandbox.url,
      api_auth: { user: { name: DEFAULT_USER.name, password: DEFAULT_USER.password } },
    },
    ...options.config,
  })
  if (Either.isLeft(decoded)) throw new Error(`bad test config: ${decoded.left.message}`)
  const config = decoded.right.config
  const logs: string[] = []
  const logger = Logger.make(({ message, annotations }) => {
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    logs.push(`${text} ${JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations)))}`)
  })
  const scope = Effect.runSync(Scope.make())
  const stop = () => Effect.runPromise(Scope.close(scope, Exit.void))
  try {
    const bot = await Effect.runPromise(
      runBot({
        config,
        adapters: options.adapters(config),
        credential: {
          _tag: "Password",
          username: DEFAULT_USER.name,
          password: Redacted.make(DEFAULT_USER.password),
        },
        credentialTimings: fastCredentialRetries,
        drainTimeoutMs: 2_000,
      }).pipe(
        Scope.extend(scope),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.Debug),
      ),
    )
    await waitFor(() => childState(bot, "aliasSync") === "ready", "the aliases to load")
    await waitFor(
      () => JSON.stringify(childState(bot, "stream") ?? "").includes("connected"),
      "the st2 stream",
    )
    return { bot, logs, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
