import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Exit } from "effect"
import { runCli } from "./cli/runCli.ts"

// Composition only: the CLI selects a command; each command builds its own Layers.
NodeRuntime.runMain(runCli(process.argv.slice(2)), {
  disableErrorReporting: false,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    const code = Exit.isSuccess(exit) ? Number(exit.value) : Cause.isInterruptedOnly(exit.cause) ? 0 : 1
    onExit(code)
    // Exit even when a library left a handle open; stdout/stderr are synchronous on Linux pipes and files.
    process.exit(code)
  },
})
