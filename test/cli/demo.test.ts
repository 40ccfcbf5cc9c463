import { afterEach, describe, expect, it } from "vitest"
import { jsonLogLines, killLeftovers, spawnCli } from "./cliProcess.ts"

afterEach(killLeftovers)

describe("stormbot demo", () => {
  it("`npm run -s demo` with piped stdin: help, ack, result on stdout; exits 0", async () => {
    // The package script itself, as a newcomer runs it; a short result delay keeps it quick.
    const demo = spawnCli(["run", "-s", "demo", "--", "--result-delay", "20"], {
      command: "npm",
      stdin: "!st2help\n!st2 run date on localhost\n",
    })
    expect(await demo.exited, demo.stderr()).toEqual({ code: 0, signal: null })
    const out = demo.stdout()
    const help = out.indexOf("stormbot> Commands (")
    const ack = out.indexOf("stormbot> Running `date` on localhost...")
    const result = out.search(/stormbot> localhost: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}/)
    expect(help, out).toBeGreaterThanOrEqual(0)
    expect(ack, out).toBeGreaterThan(help)
    expect(result, out).toBeGreaterThan(ack)
    expect(jsonLogLines(out)).toEqual([])
  })
})
