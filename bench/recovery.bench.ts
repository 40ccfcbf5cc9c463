/**
 * How soon the bot is ready after a StackStorm outage, with production backoff timings.
 *
 *   npx tsx bench/recovery.bench.ts [outage seconds, default 60]
 *
 * The bot starts while StackStorm's auth and API answer 503 (nginx with st2 behind it down);
 * after the outage they answer again. Measured from that moment: the credential logged in, the
 * alias set loaded (ready), and the first command acked. Twice: with nobody typing, and with a
 * command typed every 500 ms (10 users in turn) throughout. Prints one JSON line per run.
 */
import { Effect, Either, Exit, Logger, LogLevel, Redacted, Scope } from "effect"
import { runBot } from "../src/actors/runBot.ts"
import { decodeConfig } from "../src/config/decodeConfig.ts"
import { DEFAULT_USER, startSandbox } from "../src/sandbox/Sandbox.ts"
import { makeFakeChatAdapter } from "../test/fakes/FakeChatAdapter.ts"

const outageMs = Number(process.argv[2] ?? 60) * 1000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const run = async (typing: boolean) => {
  const sandbox = await startSandbox({ port: 0, resultDelayMs: 50 })
  sandbox.faults.setApiMode("unavailable")
  const fake = makeFakeChatAdapter()
  const decoded = decodeConfig({
    stackstorm: {
      url: sandbox.url,
      api_auth: { user: { name: DEFAULT_USER.name, password: DEFAULT_USER.password } },
    },
  })
  if (Either.isLeft(decoded)) throw new Error("bad config")
  const scope = Effect.runSync(Scope.make())
  const bot = await Effect.runPromise(
    runBot({
      config: decoded.right.config,
      adapters: [fake],
      credential: {
        _tag: "Password",
        username: DEFAULT_USER.name,
        password: Redacted.make(DEFAULT_USER.password),
      },
    }).pipe(Scope.extend(scope), Logger.withMinimumLogLevel(LogLevel.None)),
  )
  const state = (id: string) =>
    (bot.supervisor.system.get(id) as { getSnapshot(): { value: unknown } } | undefined)?.getSnapshot().value
  let typed = 0
  const typer = typing
    ? setInterval(() => {
        fake.say(`user${typed % 10}`, "ops", `!st2 run echo ${typed} on localhost`)
        typed++
      }, 500)
    : undefined
  await sleep(outageMs)
  const back = performance.now()
  sandbox.faults.setApiMode("ok")
  const since = () => Math.round(performance.now() - back)
  let loggedInMs: number | undefined
  let readyMs: number | undefined
  let firstAckMs: number | undefined
  const acksBefore = fake.outbound.filter((m) => m.text.startsWith("Running `")).length
  while (since() < 120_000 && (readyMs === undefined || (typing && firstAckMs === undefined))) {
    const credential = JSON.stringify(state("credential"))
    if (loggedInMs === undefined && credential.includes("authenticated")) loggedInMs = since()
    if (readyMs === undefined && loggedInMs !== undefined && state("aliasSync") === "ready") readyMs = since()
    if (
      firstAckMs === undefined &&
      fake.outbound.filter((m) => m.text.startsWith("Running `")).length > acksBefore
    )
      firstAckMs = since()
    await sleep(10)
  }
  if (typer !== undefined) clearInterval(typer)
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await sandbox.stop()
  const refusedDuringOutage = fake.outbound.filter((m) => /cannot log in|not reachable/.test(m.text)).length
  console.log(
    JSON.stringify({
      outageMs,
      typing,
      loggedInMs,
      readyMs,
      ...(typing ? { firstAckMs, commandsTyped: typed, refusedDuringOutage } : {}),
    }),
  )
}

await run(false)
await run(true)
