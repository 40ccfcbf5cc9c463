import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { killLeftovers, repoRoot, spawnCli, writeConfig } from "./cliProcess.ts"

// Bad configuration and bad usage stop `stormbot start` with exit code 2 before anything runs.
// These processes exit on their own, so the tests run concurrently (process start-up dominates).
afterAll(killLeftovers)

describe.concurrent("stormbot start: exit 2 for bad configuration and usage", () => {
  it("names every configuration problem with its path (unknown key, bad URL, no credential)", async () => {
    const config = await writeConfig(["stackstorm:", "  url: not a url", "  route_ky: errbot", ""].join("\n"))
    try {
      const bot = spawnCli(["start", "--config", config.path])
      expect((await bot.exited).code, bot.stderr()).toBe(2)
      const err = bot.stderr()
      expect(err).toContain(`the configuration in ${config.path} has 3 problems`)
      expect(err).toMatch(/- stackstorm\.route_ky: unknown key `route_ky`/)
      expect(err).toContain("did you mean `route_key`?")
      expect(err).toMatch(/- stackstorm\.url: `not a url` is not a URL/)
      expect(err).toMatch(/- stackstorm\.api_auth: no StackStorm credential is configured/)
      expect(bot.stdout()).toBe("")
    } finally {
      await config.cleanup()
    }
  })

  it("--log-level nope: exit 2 naming the flag and its values, with the usage", async () => {
    const bot = spawnCli(["start", "--log-level", "nope"])
    expect((await bot.exited).code).toBe(2)
    expect(bot.stderr()).toContain("--log-level must be one of trace, debug, info, warning, error")
    expect(bot.stderr()).toContain("Usage: stormbot start")
  })

  it("an unknown flag: exit 2 naming it, with the usage", async () => {
    const bot = spawnCli(["start", "--bogus"])
    expect((await bot.exited).code).toBe(2)
    expect(bot.stderr()).toMatch(/Unknown option '--bogus'/)
    expect(bot.stderr()).toContain("Usage: stormbot start [--config FILE]")
  })
})

describe.concurrent("the installed entry point", () => {
  it("package.json's bin runs the CLI: --help and start --help exit 0 with the usage", async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      bin: { stormbot: string }
    }
    const script = join(repoRoot, pkg.bin.stormbot)
    const [top, start] = [spawnCli(["--help"], { script }), spawnCli(["start", "--help"], { script })]
    expect((await top.exited).code, top.stderr()).toBe(0)
    expect(top.stdout()).toContain("Usage: stormbot <command> [flags]")
    for (const command of ["start", "demo", "sandbox", "config check"])
      expect(top.stdout()).toContain(command)
    expect((await start.exited).code, start.stderr()).toBe(0)
    expect(start.stdout()).toContain(
      "Usage: stormbot start [--config FILE] [--inspect] [--inspect-ws URL] [--log-level LEVEL]",
    )
  })
})
