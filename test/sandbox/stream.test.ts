import { fetch } from "undici"
import { afterEach, describe, expect, it } from "vitest"
import type { SandboxHandle } from "../../src/sandbox/Sandbox.ts"
import type { ActionAlias } from "../../src/st2/ActionAlias.ts"
import { call, readStream, withSandbox } from "./helpers.ts"

const H = { "St2-Api-Key": "k" }
const users = [{ name: "st2admin", password: "x", api_keys: ["k"] }]

const aliases: ActionAlias[] = [
  {
    name: "say",
    pack: "demo",
    action_ref: "core.echo",
    formats: ["say {{message}}"],
    result: {
      format: "said {{ execution.result.stdout }} in {{ alias.ref }}",
      extra: { slack: { color: "{{ 'green' }}" } },
    },
  },
  { name: "plain", pack: "demo", action_ref: "core.local", formats: ["plain {{cmd}}"] },
  { name: "quiet", pack: "demo", action_ref: "core.noop", formats: ["quiet"], result: { enabled: false } },
]

let sb: SandboxHandle | undefined
afterEach(async () => {
  await sb?.stop()
  sb = undefined
})

const open = async (s: SandboxHandle, query = "", headers: Record<string, string> = H) => {
  const controller = new AbortController()
  const res = await fetch(`${s.url}/stream/v1/stream${query}`, { headers, signal: controller.signal })
  return { res, close: () => controller.abort() }
}

const frames = (text: string) =>
  text
    .split("\n\n")
    .map((f) => f.replace(/^\n+/, ""))
    .filter((f) => f.startsWith("event: "))
    .map((f) => {
      const [e, d] = f.split("\n")
      return { event: e!.slice(7), data: JSON.parse(d!.slice(6)) }
    })

const execute = (s: SandboxHandle, command: string, extra: Record<string, unknown> = {}) =>
  call(s, "POST", "/api/v1/aliasexecution/match_and_execute", {
    headers: H,
    body: { command, user: "alice", source_channel: "#ops", ...extra },
  })

describe("sandbox stream (contract §5) and chatops announcements (§6)", () => {
  it("answers 200 text/event-stream, a bare newline first, and frames without ids", async () => {
    sb = await withSandbox({ users, aliases })
    const { res, close } = await open(sb)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=UTF-8")
    const body = res.body as unknown as ReadableStream<Uint8Array>
    const first = await readStream(body, (t) => t.length > 0)
    expect(first).toBe("\n")
    sb.announce("errbot", { message: "hi", channel: "#c" })
    const text = await readStream(body, (t) => t.endsWith("\n\n") && t.includes("event:"))
    expect(text).toBe(
      'event: st2.announcement__errbot\ndata: {"payload":{"message":"hi","channel":"#c"},"trace_context":null}\n\n',
    )
    expect(text).not.toMatch(/^(id|retry):/m)
    close()
  })

  it("delivers frames published together whole and in order, to every stream", async () => {
    sb = await withSandbox({ users, aliases })
    const streams = [await open(sb), await open(sb)]
    const bodies = streams.map(({ res }) => res.body as unknown as ReadableStream<Uint8Array>)
    for (const body of bodies) expect(await readStream(body, (t) => t.length > 0)).toBe("\n")
    const frame = (n: number) =>
      `event: st2.announcement__errbot\ndata: {"payload":{"n":${n}},"trace_context":null}\n\n`
    for (let n = 1; n <= 3; n++) sb.announce("errbot", { n })
    for (const body of bodies) {
      const text = await readStream(body, (t) => t.endsWith(frame(3)))
      expect(text).toBe(frame(1) + frame(2) + frame(3))
    }
    for (const { close } of streams) close()
  })

  it("sends a heartbeat newline after each silence of heartbeatMs", async () => {
    sb = await withSandbox({ users, aliases, heartbeatMs: 30 })
    const { res, close } = await open(sb)
    const text = await readStream(res.body as unknown as ReadableStream<Uint8Array>, (t) => t.length >= 3)
    expect(text).toBe("\n\n\n")
    close()
  })

  it("answers 401 JSON before the stream starts", async () => {
    sb = await withSandbox({ users, aliases })
    const r = await call(sb, "GET", "/stream/v1/stream")
    expect(r.status).toBe(401)
    expect(r.body).toEqual({ faultstring: "Unauthorized - One of Token or API key required." })
    const bad = await call(sb, "GET", "/stream/v1/stream", { headers: { "X-Auth-Token": "f".repeat(32) } })
    expect(bad.status).toBe(401)
    expect(bad.body).toEqual({ faultstring: "Unauthorized" })
    const q = await open(sb, "?st2-api-key=k&events=x", {})
    expect(q.res.status).toBe(200)
    q.close()
  })

  it("filters events by glob; default events exclude alias changes", async () => {
    sb = await withSandbox({ users, aliases })
    const only = await open(sb, "?events=st2.announcement__err*")
    const all = await open(sb)
    const onlyBody = only.res.body as unknown as ReadableStream<Uint8Array>
    const allBody = all.res.body as unknown as ReadableStream<Uint8Array>
    sb.announce("chatops", { message: "not for errbot" })
    sb.announce("errbot", { message: "for errbot" })
    const a = await readStream(onlyBody, (t) => t.includes("for errbot"))
    expect(frames(a).map((f) => f.event)).toEqual(["st2.announcement__errbot"])
    const b = await readStream(allBody, (t) => t.includes("for errbot"))
    expect(frames(b).map((f) => f.event)).toEqual(["st2.announcement__chatops", "st2.announcement__errbot"])
    only.close()
    all.close()
  })

  it("streams execution and liveaction events and announces the rendered result on the route", async () => {
    sb = await withSandbox({ users, aliases })
    const { res, close } = await open(sb)
    const body = res.body as unknown as ReadableStream<Uint8Array>
    const ctx = { thread: "t1", user: { id: "U1" } }
    const r = await call(sb, "POST", "/api/v1/aliasexecution", {
      headers: H,
      body: {
        name: "say",
        format: "say {{message}}",
        command: "say hello",
        user: "alice",
        source_channel: "#ops",
        source_context: ctx,
        notification_route: "errbot",
      },
    })
    expect(r.status).toBe(201)
    const text = await readStream(body, (t) => t.includes("st2.announcement__errbot") && t.endsWith("\n\n"))
    const fs = frames(text)
    const statuses = fs
      .filter((f) => f.event.startsWith("st2.execution__"))
      .map((f) => `${f.event}:${f.data.status}`)
    expect(statuses).toEqual([
      "st2.execution__create:requested",
      "st2.execution__update:scheduled",
      "st2.execution__update:running",
      "st2.execution__update:succeeded",
    ])
    expect(fs.some((f) => f.event === "st2.liveaction__create")).toBe(true)
    const ann = fs.find((f) => f.event === "st2.announcement__errbot")!
    expect(ann.data).toEqual({
      payload: {
        message: "said hello in demo.say",
        channel: "#ops",
        user: "alice",
        whisper: false,
        extra: { slack: { color: "green" } },
        context: ctx,
      },
      trace_context: null,
    })
    close()
  })

  it("routes hubot to st2.announcement__chatops, other routes to their own name, and renders the default template", async () => {
    sb = await withSandbox({ users, aliases })
    const { res, close } = await open(sb)
    const body = res.body as unknown as ReadableStream<Uint8Array>
    const r1 = await execute(sb, "plain date", { notification_route: "hubot" })
    expect(r1.status).toBe(201)
    await execute(sb, "plain whoami", { notification_route: "slackbot" })
    const text = await readStream(
      body,
      (t) =>
        t.includes("st2.announcement__chatops") &&
        t.includes("st2.announcement__slackbot") &&
        t.endsWith("\n\n"),
    )
    const fs = frames(text).filter((f) => f.event.startsWith("st2.announcement__"))
    expect(fs.map((f) => f.event).sort()).toEqual(["st2.announcement__chatops", "st2.announcement__slackbot"])
    const hubot = fs.find((f) => f.event === "st2.announcement__chatops")!
    const id = r1.body.results[0].execution.id
    expect(hubot.data.payload.message).toMatch(
      new RegExp(
        `^\\nAction core\\.local completed\\.\\nstatus : succeeded\\nexecution: ${id}\\n\\nweb_url: .*/#/history/${id}/general\\n\\n(Took .* to complete\\.\\n)?\\nresult :\\n--------\\nstdout : \\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d UTC \\d{4}\\n\\n$`,
      ),
    )
    expect(hubot.data.payload).toMatchObject({
      channel: "#ops",
      user: "alice",
      whisper: false,
      extra: {},
      context: null,
    })
    close()
  })

  it("skips the announcement when result.enabled is false, and without a route", async () => {
    sb = await withSandbox({ users, aliases })
    const { res, close } = await open(sb)
    const body = res.body as unknown as ReadableStream<Uint8Array>
    await execute(sb, "quiet", { notification_route: "errbot" })
    await execute(sb, "say nothing")
    await execute(sb, "say marker", { notification_route: "errbot" })
    const text = await readStream(body, (t) => t.includes("said marker") && t.endsWith("\n\n"))
    const anns = frames(text).filter((f) => f.event.startsWith("st2.announcement__"))
    expect(anns.map((a) => a.data.payload.message)).toEqual(["said marker in demo.say"])
    close()
  })

  it("filters execution events by action_refs and execution_ids", async () => {
    sb = await withSandbox({ users, aliases })
    const { res, close } = await open(sb, "?action_refs=core.echo")
    const body = res.body as unknown as ReadableStream<Uint8Array>
    await execute(sb, "plain date")
    await execute(sb, "say x")
    const text = await readStream(
      body,
      (t) => t.includes('"status":"succeeded"') && t.includes("st2.execution__update"),
    )
    const refs = new Set(
      frames(text)
        .filter((f) => f.event.startsWith("st2.execution__"))
        .map((f) => f.data.action.ref),
    )
    expect([...refs]).toEqual(["core.echo"])
    close()
  })
})
