/**
 * The sandbox of `npm run bench` in a worker thread of the bench's process: it has its own event
 * loop (and can use a second core), so the bot's figures are not the sandbox's. Posts
 * `{ url, apiKey }` once listening; answers "cpu" with `{ cpuMs }` (this thread's CPU time, see
 * `threadCpu.ts`); stops on the message "stop" and posts "stopped".
 */
import { parentPort, workerData } from "node:worker_threads"
import { startSandbox } from "../src/sandbox/Sandbox.ts"
import { threadCpuMs } from "./threadCpu.ts"

export interface SandboxWorkerData {
  readonly resultDelayMs: number
}

export interface SandboxWorkerReady {
  readonly url: string
  readonly apiKey: string
}

const port = parentPort
if (port === null) throw new Error("bench/sandboxWorker runs as a worker thread only")
const { resultDelayMs } = workerData as SandboxWorkerData
const sandbox = await startSandbox({ port: 0, resultDelayMs })
port.on("message", (message) => {
  if (message === "cpu") port.postMessage({ cpuMs: threadCpuMs() })
  if (message === "stop")
    void sandbox.stop().then(() => {
      port.postMessage("stopped")
      port.close()
    })
})
port.postMessage({ url: sandbox.url, apiKey: sandbox.apiKey } satisfies SandboxWorkerReady)
