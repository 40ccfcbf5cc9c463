/**
 * The sandbox of `npm run bench` as a separate process, so the bench process's RSS, CPU and
 * garbage collection are the bot's alone (as when stormbot runs against a real StackStorm).
 * Prints one JSON line `{ url, apiKey }` on stdout once listening; answers each line "cpu" on
 * stdin with `{ cpuMs }` (this process's CPU time); stops on "stop" (or stdin's end) and exits.
 */
import { createInterface } from "node:readline"
import { startSandbox } from "../src/sandbox/Sandbox.ts"

export interface SandboxProcessReady {
  readonly url: string
  readonly apiKey: string
}

const resultDelayMs = Number(process.argv[2] ?? 5)
const sandbox = await startSandbox({ port: 0, resultDelayMs })
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const stop = () => void sandbox.stop().then(() => process.exit(0))
createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line === "cpu") process.stdout.write(`${JSON.stringify({ cpuMs: cpuMs() })}\n`)
    if (line === "stop") stop()
  })
  .on("close", stop)
process.stdout.write(
  `${JSON.stringify({ url: sandbox.url, apiKey: sandbox.apiKey } satisfies SandboxProcessReady)}\n`,
)
