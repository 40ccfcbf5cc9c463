import { Duration, Effect } from "effect"
import { type BotOptions, runBot } from "../actors/runBot.ts"
import { statelyInspector } from "../actors/statelyInspector.ts"
import { InsecureTlsRefused, insecureTlsFindings } from "../config/insecureTls.ts"
import type { Env } from "../config/interpolateEnv.ts"

export interface ServeOptions extends BotOptions {
  /** Stream every actor's inspection events to a Stately inspector at this WebSocket URL. */
  readonly inspectUrl?: string | undefined
  /** After the input ended (piped stdin), how long to wait for outstanding results. */
  readonly resultWaitMs?: number
  /** Where `NODE_TLS_REJECT_UNAUTHORIZED` is read (default `process.env`). */
  readonly env?: Env
}

/**
 * Runs the bot until its input ends (piped stdin) or the process is interrupted (SIGINT,
 * SIGTERM: the runtime interrupts this fiber and the scope shuts the bot down in order).
 * With piped input it then waits, bounded, for the results StackStorm still owes.
 *
 * Refuses to run (`InsecureTlsRefused`, before anything connects) while
 * `NODE_TLS_REJECT_UNAUTHORIZED=0` is set and the configuration does not say
 * `insecure_tls_for_all: true`. `loadConfig` reports the same as a configuration problem; this
 * holds for a configuration built any other way.
 */
export const serveBot = (options: ServeOptions): Effect.Effect<void, Error> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { problem } = insecureTlsFindings({
        adapters: options.config.adapters,
        optIn: options.config.insecureTlsForAll,
        env: options.env ?? process.env,
      })
      if (problem !== undefined) return yield* Effect.fail(new InsecureTlsRefused({ problem }))
      const inspector =
        options.inspectUrl === undefined ? undefined : yield* statelyInspector(options.inspectUrl)
      const bot = yield* runBot(inspector === undefined ? options : { ...options, inspector })
      yield* Effect.logInfo("stormbot is running").pipe(
        Effect.annotateLogs({
          adapters: options.adapters.map((a) => a.name).join(","),
          web: bot.webUrl ?? "off",
        }),
      )
      yield* bot.inputEnded
      const wait = Duration.millis(options.resultWaitMs ?? 30_000)
      yield* Effect.logInfo("input ended; waiting for outstanding commands and results")
      yield* bot.commandsIdle.pipe(Effect.timeout(wait), Effect.ignore)
      const finished = yield* bot.pending.awaitNone.pipe(Effect.timeout(wait), Effect.option)
      if (finished._tag === "None") {
        const n = yield* bot.pending.outstanding
        yield* Effect.logWarning(`gave up waiting for ${n} result(s) after ${Duration.format(wait)}`)
      }
      yield* bot.outboundIdle.pipe(Effect.timeout("10 seconds"), Effect.ignore)
    }),
  )
