import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { defaultAliases } from "../../src/sandbox/sandboxFiles.ts"
import type { ActionAlias } from "../../src/st2/ActionAlias.ts"
import {
  aliasesLoaded,
  type Harness,
  isRunAck,
  isRunResult,
  startHarness,
  streamConnected,
  waitFor,
} from "./harness.ts"

/** Two aliases whose formats both match `status web`. */
const ambiguousPair: ReadonlyArray<ActionAlias> = [
  { name: "web_status", pack: "web", action_ref: "core.echo", formats: ["status {{message}}"] },
  { name: "db_status", pack: "db", action_ref: "core.echo", formats: ["status {{message}}"] },
]

interface ExecutionRecord {
  readonly id: string
  readonly status: string
  readonly web_url?: string
  readonly parameters?: Record<string, unknown>
  readonly context?: {
    readonly user?: string
    readonly api_user?: string
    readonly source_channel?: string
    readonly action_alias_ref?: { readonly name: string }
  }
}

// One bot for the file: every case uses its own room (or user), so their answers never mix.
let h: Harness
beforeAll(async () => {
  h = await startHarness({ sandbox: { aliases: [...defaultAliases(), ...ambiguousPair] } })
  await aliasesLoaded(h)
  await streamConnected(h)
})
afterAll(async () => {
  await h?.stop()
})

const executions = () => h.sandbox.executions() as ReadonlyArray<ExecutionRecord>
const to = (dest: string) => h.fake.outbound.filter((m) => m.to === dest)

describe("the ChatOps loop against the sandbox, happy paths", () => {
  it("answers !st2help with the commands grouped by pack", async () => {
    h.fake.say("alice", "help", "!st2help")
    await waitFor(() => to("#help").length === 1, "the help answer")
    const text = to("#help")[0]!.text
    expect(text).toMatch(/^Commands \(\d+\):/)
    // Packs in st2's order (by pack, then name), each a header before its commands.
    const packs = text.indexOf("\npacks:\n")
    const sandbox = text.indexOf("\nsandbox:\n")
    expect(packs).toBeGreaterThan(0)
    expect(sandbox).toBeGreaterThan(packs)
    expect(text.indexOf("!st2 pack get {{pack}}")).toBeGreaterThan(packs)
    expect(text.indexOf("!st2 pack get {{pack}}")).toBeLessThan(sandbox)
    expect(text.indexOf("!st2 run {{cmd}} on {{hosts=localhost}}")).toBeGreaterThan(sandbox)
    // The disabled alias is not offered.
    expect(text).not.toContain("reboot")
  })

  it("runs a command: the ack with the web_url, then the result, in that order, in the room", async () => {
    h.fake.say("alice", "ops", "!st2 run date on localhost")
    await waitFor(() => to("#ops").length === 2, "ack and result in #ops")
    const [ack, result] = to("#ops")
    expect(ack!.text).toMatch(/^Running `date` on localhost\.\.\./)
    const execution = executions().find((e) => e.context?.source_channel === "#ops")
    expect(execution).toBeDefined()
    expect(ack!.text).toContain(execution!.web_url!)
    expect(result!.text).toMatch(/^localhost: \w{3} \w{3}/)
    expect(execution!.status).toBe("succeeded")
  })

  it("answers a command typed in a thread in that thread, ack and result", async () => {
    h.fake.say("bob", "dev", "!st2 run whoami on localhost", { thread: "T42" })
    await waitFor(() => to("#dev/T42").length === 2, "ack and result in the thread")
    const [ack, result] = to("#dev/T42")
    expect(isRunAck(ack!)).toBe(true)
    expect(isRunResult(result!)).toBe(true)
    expect(to("#dev")).toEqual([])
  })

  it("answers a direct message privately", async () => {
    h.fake.say("carol", undefined, "!st2 run hostname on localhost")
    await waitFor(() => to("@carol").length === 2, "ack and result to @carol")
    const [ack, result] = to("@carol")
    expect(isRunAck(ack!)).toBe(true)
    expect(isRunResult(result!)).toBe(true)
    const execution = executions().find((e) => e.context?.api_user === "@carol")
    expect(execution?.context?.source_channel).toBe("@carol")
  })

  it("runs a match_multiple command once per occurrence, with one result each", async () => {
    h.fake.say("dave", "issues", "!st2 please look at OPS-1 and DEV-22, then OPS-3")
    await waitFor(
      () => to("#issues").filter((m) => /^[A-Z]+-\d+: /.test(m.text)).length === 3,
      "three issue results",
    )
    const mine = executions().filter((e) => e.context?.source_channel === "#issues")
    expect(mine.map((e) => e.parameters?.key).sort()).toEqual(["DEV-22", "OPS-1", "OPS-3"])
    const results = to("#issues")
      .filter((m) => /^[A-Z]+-\d+: /.test(m.text))
      .map((m) => m.text.split(":")[0])
      .sort()
    expect(results).toEqual(["DEV-22", "OPS-1", "OPS-3"])
  })

  it("says it does not know an unknown command, with a did-you-mean when one is close", async () => {
    h.fake.say("erin", "unknown", "!st2 fly me to the moon")
    h.fake.say("erin", "typo", "!st2 pack gte core")
    await waitFor(() => to("#unknown").length === 1 && to("#typo").length === 1, "both answers")
    expect(to("#unknown")[0]!.text).toMatch(/^Sorry, I don't know "fly me to the moon"\./)
    expect(to("#unknown")[0]!.text).toContain("!st2help")
    expect(to("#typo")[0]!.text).toMatch(/^Sorry, I don't know "pack gte core"\. Did you mean: .*pack get/)
    expect(executions().some((e) => e.context?.source_channel === "#unknown")).toBe(false)
  })

  it("names the candidates of an ambiguous command and runs nothing", async () => {
    h.fake.say("frank", "ambiguous", "!st2 status web")
    await waitFor(() => to("#ambiguous").length === 1, "the answer")
    const text = to("#ambiguous")[0]!.text
    expect(text).toContain("matches more than one command")
    expect(text).toContain("web.web_status")
    expect(text).toContain("db.db_status")
    expect(executions().some((e) => e.context?.source_channel === "#ambiguous")).toBe(false)
  })

  it("says a disabled alias is disabled", async () => {
    h.fake.say("gina", "disabled", "!st2 reboot web1")
    await waitFor(() => to("#disabled").length === 1, "the answer")
    expect(to("#disabled")[0]!.text).toContain("sandbox.reboot")
    expect(to("#disabled")[0]!.text).toContain("disabled")
  })

  it("sends no ack when ack.enabled is false, but the result", async () => {
    h.fake.say("hank", "echo", "!st2 echo hello there")
    await waitFor(() => to("#echo").length >= 1, "the result")
    // A later command in the same room: by its result, an ack of the first would have been sent.
    h.fake.say("hank", "echo", "!st2 run date on localhost")
    await waitFor(() => to("#echo").some(isRunResult), "the later result")
    expect(to("#echo").map((m) => m.text)[0]).toBe("hello there")
    expect(to("#echo").filter((m) => !isRunAck(m) && !isRunResult(m))).toHaveLength(1)
  })

  it("omits the URL when ack.append_url is false, and posts no result when result.enabled is false", async () => {
    h.fake.say("ivy", "noop", "!st2 noop")
    await waitFor(() => to("#noop").length === 1, "the ack")
    await waitFor(
      () => executions().some((e) => e.context?.source_channel === "#noop" && e.status === "succeeded"),
      "the execution to finish",
    )
    // A later command in the same room proves the stream delivered everything before it.
    h.fake.say("ivy", "noop", "!st2 run date on localhost")
    await waitFor(() => to("#noop").some(isRunResult), "the later result")
    // The ack as st2 rendered it, with no web_url; no result.
    expect(to("#noop")[0]!.text).toBe("Doing nothing, quietly.")
    expect(to("#noop").filter((m) => !isRunAck(m) && !isRunResult(m))).toHaveLength(1)
  })

  it("records user, api_user and source_channel as the adapter reports them", async () => {
    h.fake.say("judy", "audit", "!st2 run uptime on localhost", { thread: "T7" })
    await waitFor(() => to("#audit/T7").length === 2, "ack and result")
    const execution = executions().find((e) => e.context?.source_channel?.startsWith("#audit"))
    expect(execution?.context).toMatchObject({
      user: "st2admin",
      api_user: "@judy",
      source_channel: "#audit/T7",
      action_alias_ref: { name: "remote_run" },
    })
  })
})
