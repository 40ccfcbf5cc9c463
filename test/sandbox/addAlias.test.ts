import { fetch } from "undici"
import { afterEach, describe, expect, it } from "vitest"
import type { SandboxHandle } from "../../src/sandbox/Sandbox.ts"
import { call, readStream, withSandbox } from "./helpers.ts"

const H = { "St2-Api-Key": "k" }

let sb: SandboxHandle | undefined
afterEach(async () => {
  await sb?.stop()
  sb = undefined
})

const start = async () => {
  sb = await withSandbox({ users: [{ name: "st2admin", password: "Ch@ngeMe", api_keys: ["k"] }] })
  return sb
}

describe("SandboxHandle.addAlias", () => {
  it("serves the new alias at once: list, help, match and execution", async () => {
    const s = await start()
    const stored = s.addAlias({
      name: "greet",
      pack: "hello",
      action_ref: "core.echo",
      formats: ["greet {{message}}"],
      description: "Say hello.",
    })
    expect(stored).toMatchObject({ ref: "hello.greet", uid: "action_alias:hello:greet", enabled: true })
    expect(stored.id).toMatch(/^[0-9a-f]{24}$/)

    const list = await call(s, "GET", "/api/v1/actionalias?pack=hello", { headers: H })
    expect(list.body.map((a: { ref: string }) => a.ref)).toEqual(["hello.greet"])
    const help = await call(s, "GET", "/api/v1/actionalias/help?pack=hello", { headers: H })
    expect(help.body.helpstrings).toEqual([
      { pack: "hello", display: "greet {{message}}", description: "Say hello." },
    ])
    const match = await call(s, "POST", "/api/v1/actionalias/match", {
      headers: H,
      body: { command: "greet you" },
    })
    expect(match.status).toBe(200)
    expect(match.body.actionalias.ref).toBe("hello.greet")
    const run = await call(s, "POST", "/api/v1/aliasexecution", {
      headers: H,
      body: { name: "greet", format: "greet {{message}}", command: "greet you", source_channel: "c" },
    })
    expect(run.status).toBe(201)
    // The demo aliases are still there.
    const all = await call(s, "GET", "/api/v1/actionalias?limit=-1", { headers: H })
    expect(all.body.some((a: { ref: string }) => a.ref === "sandbox.remote_run")).toBe(true)
  })

  it("replaces an alias of the same name, keeping its id, and emits create then update", async () => {
    const s = await start()
    const res = await fetch(`${s.url}/stream/v1/stream?events=st2.actionalias__*`, { headers: H })
    expect(res.status).toBe(200)
    const first = s.addAlias({
      name: "greet",
      pack: "hello",
      action_ref: "core.echo",
      formats: ["hi {{message}}"],
    })
    const second = s.addAlias({
      name: "greet",
      pack: "hello",
      action_ref: "core.echo",
      formats: ["hello {{message}}"],
    })
    expect(second.id).toBe(first.id)
    const text = await readStream(res.body!, (t) => t.includes("actionalias__update"))
    expect(text).toMatch(/event: st2\.actionalias__create\ndata: \{[^\n]*"hi \{\{message\}\}"/)
    expect(text).toMatch(/event: st2\.actionalias__update\ndata: \{[^\n]*"hello \{\{message\}\}"/)
    const match = await call(s, "POST", "/api/v1/actionalias/match", {
      headers: H,
      body: { command: "hi you" },
    })
    expect(match.status).toBe(400)
    const list = await call(s, "GET", "/api/v1/actionalias?pack=hello", { headers: H })
    expect(list.body).toHaveLength(1)
  })
})
