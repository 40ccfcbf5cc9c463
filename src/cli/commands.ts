import type { CliCommand } from "./CliCommand.ts"

/** A subcommand, loaded only when selected so `--help` and small commands start fast. */
export interface CommandEntry {
  readonly name: ReadonlyArray<string>
  readonly summary: string
  readonly load: () => Promise<CliCommand>
}

export const commands: ReadonlyArray<CommandEntry> = [
  {
    name: ["start"],
    summary: "Run the bot against a StackStorm (stormbot.yaml)",
    load: () => import("./startCommand.ts").then((m) => m.startCommand),
  },
  {
    name: ["demo"],
    summary: "Run the bot in this terminal against the bundled StackStorm sandbox",
    load: () => import("./demoCommand.ts").then((m) => m.demoCommand),
  },
  {
    name: ["sandbox"],
    summary: "Run the StackStorm sandbox (a StackStorm-compatible test server; NOT StackStorm)",
    load: () => import("./sandboxCommand.ts").then((m) => m.sandboxCommand),
  },
  {
    name: ["config", "check"],
    summary: "Validate a configuration and print the effective values with their sources",
    load: () => import("./configCheckCommand.ts").then((m) => m.configCheckCommand),
  },
  {
    name: ["alias-test"],
    summary: "Match commands against alias formats exactly as StackStorm would",
    load: () => import("./aliasTestCommand.ts").then((m) => m.aliasTestCommand),
  },
]
