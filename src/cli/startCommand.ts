import { Effect } from "effect"
import { type CliCommand, ExitCode } from "./CliCommand.ts"

// Placeholder until the command lands; replaced by its owner.
export const startCommand: CliCommand = {
  name: ["start"],
  summary: "not implemented yet",
  usage: "not implemented yet",
  run: () =>
    Effect.sync(() => {
      console.error("not implemented yet")
      return ExitCode.failure
    }),
}
