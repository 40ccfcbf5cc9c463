import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SandboxHandle } from "../../src/sandbox/Sandbox.ts"
import type { ActionAlias } from "../../src/st2/ActionAlias.ts"
import { call, waitFinished, withSandbox } from "./helpers.ts"

const H = { "St2-Api-Key": "k" }

const many: ActionAlias[] = Array.from({ length: 130 }, (_, i) => ({
  name: `a${String(i).padStart(3, "0")}`,
  pack: i % 2 === 0 ? "zeta" : "alpha",
  action_ref: "core.noop",
  formats: [`noop${i}`],
  description: `alias ${i}`,
}))

const aliases: ActionAlias[] = [
  ...many,
  {
    name: "run",
    pack: "demo",
    action_ref: "core.local",
    formats: ["run {{cmd}}"],
    ack: {
      format: "Running {{ execution.parameters.cmd }} as {{ actionalias.ref }}",
      extra: { n: "{{ 1 + 1 }}" },
    },
  },
  { name: "twice1", pack: "demo", action_ref: "core.noop", formats: ["same"] },
  { name: "twice2", pack: "demo", action_ref: "core.noop", formats: ["same"] },
  { name: "off", pack: "demo", enabled: false, action_ref: "core.noop", formats: ["off"] },
  { name: "ghost", pack: "demo", action_ref: "nope.missing", formats: ["ghost"] },
  {
    name: "fixed",
    pack: "demo",
    action_ref: "core.echo",
    formats: ["fixed"],
    immutable_parameters: { message: "always" },
  },
  {
    name: "shown",
    pack: "demo",
    action_ref: "core.echo",
    formats: [{ display: "say <words>", representation: ["say {{message}}"] }],
  },
  { name: "ask", pack: "demo", action_ref: "core.ask", formats: ["ask {{question}}"] },
  {
    name: "ask_bob",
    pack: "demo",
    action_ref: "core.ask",
    formats: ["askbob"],
    immutable_parameters: { users: ["bob"] },
  },
]

describe("sandbox st2api (contract §3, §4)", () => {
  let sb: SandboxHandle
  beforeAll(async () => {
    sb = await withSandbox({
      aliases,
      users: [
        { name: "st2admin", password: "x", api_keys: ["k"] },
        { name: "bob", password: "x", api_keys: ["bob-key"] },
      ],
    })
  })
  afterAll(() => sb.stop())

  describe("every response", () => {
    it("echoes X-Request-ID or makes a uuid4", async () => {
      const echoed = await call(sb, "GET", "/api/v1/user", { headers: { ...H, "X-Request-ID": "abc-123" } })
      expect(echoed.headers.get("x-request-id")).toBe("abc-123")
      const fresh = await call(sb, "GET", "/api/v1/nothing")
      expect(fresh.headers.get("x-request-id")).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
    })
    it("answers 404 JSON for unknown paths, even without credentials", async () => {
      for (const path of [
        "/api/v1/nothing",
        "/nothing",
        "/api/v2/actionalias",
        "/auth/v1/actionalias",
        "/api/v1/tokens",
      ]) {
        const r = await call(sb, "GET", path)
        expect(r.status, path).toBe(404)
        expect(r.body).toEqual({ faultstring: "The resource could not be found." })
      }
    })
    it("serves the unprefixed /v1 forms and ignores a trailing slash", async () => {
      for (const path of ["/v1/actionalias", "/api/v1/actionalias/", "/v1/actionalias/"]) {
        const r = await call(sb, "GET", `${path}?limit=1`, { headers: H })
        expect(r.status, path).toBe(200)
      }
      expect(
        (await call(sb, "POST", "/v1/tokens/", { headers: { Authorization: "Basic eDp5" } })).status,
      ).toBe(401)
    })
    it("sends compact JSON", async () => {
      const r = await call(sb, "GET", "/api/v1/user", { headers: H })
      expect(r.text).toBe(JSON.stringify(JSON.parse(r.text)))
      expect(r.headers.get("content-type")).toMatch(/^application\/json/)
    })
    it("answers 400 with jsonschema's messages for bad bodies", async () => {
      const missing = await call(sb, "POST", "/api/v1/actionalias/match", { headers: H, body: {} })
      expect(missing.status).toBe(400)
      expect(missing.body).toEqual({ faultstring: "'command' is a required property" })
      const extra = await call(sb, "POST", "/api/v1/aliasexecution", {
        headers: H,
        body: { name: "run", format: "run {{cmd}}", command: "run date", source_channel: "c", x: 1 },
      })
      expect(extra.body).toEqual({
        faultstring: "Additional properties are not allowed ('x' was unexpected)",
      })
      const wrongType = await call(sb, "POST", "/api/v1/actionalias/match", {
        headers: H,
        body: { command: 5 },
      })
      expect(wrongType.body).toEqual({ faultstring: "5 is not of type 'string'" })
      const notJson = await call(sb, "POST", "/api/v1/actionalias/match", { headers: H, body: "{nope" })
      expect(notJson.status).toBe(400)
      expect(notJson.body.faultstring).toMatch(/^Failed to parse request body/)
    })
  })

  describe("GET /api/v1/actionalias", () => {
    it("pages by 100 by default, with X-Total-Count and X-Limit, sorted by pack then name", async () => {
      const r = await call(sb, "GET", "/api/v1/actionalias", { headers: H })
      expect(r.body).toHaveLength(100)
      expect(r.headers.get("x-total-count")).toBe(String(aliases.length))
      expect(r.headers.get("x-limit")).toBe("100")
      const all = await call(sb, "GET", "/api/v1/actionalias?limit=-1", { headers: H })
      expect(all.body).toHaveLength(aliases.length)
      expect(all.headers.get("x-limit")).toBeNull()
      const keys = all.body.map((a: ActionAlias) => `${a.pack}\u0000${a.name}`)
      expect(keys).toEqual([...keys].sort())
      expect(all.body[0].pack).toBe("alpha")
      const second = await call(sb, "GET", "/api/v1/actionalias?limit=100&offset=100", { headers: H })
      expect(second.body).toHaveLength(aliases.length - 100)
      expect(second.body[0]).toEqual(all.body[100])
    })
    it("fills id, ref, uid and filters by pack and name", async () => {
      const r = await call(sb, "GET", "/api/v1/actionalias?pack=demo&name=run", { headers: H })
      expect(r.body).toHaveLength(1)
      expect(r.body[0]).toMatchObject({
        name: "run",
        pack: "demo",
        ref: "demo.run",
        uid: "action_alias:demo:run",
        enabled: true,
      })
      expect(r.body[0].id).toMatch(/^[0-9a-f]{24}$/)
      const one = await call(sb, "GET", "/api/v1/actionalias/demo.run", { headers: H })
      expect(one.body.id).toBe(r.body[0].id)
      const fields = await call(sb, "GET", "/api/v1/actionalias?pack=demo&include_attributes=ref", {
        headers: H,
      })
      expect(Object.keys(fields.body[0]).sort()).toEqual(["id", "ref"])
    })
    it("400s a negative limit other than -1", async () => {
      const r = await call(sb, "GET", "/api/v1/actionalias?limit=-5", { headers: H })
      expect(r.status).toBe(400)
    })
  })

  it("GET /api/v1/actionalias/help lists display strings of enabled aliases", async () => {
    const r = await call(sb, "GET", "/api/v1/actionalias/help?pack=demo", { headers: H })
    expect(r.status).toBe(200)
    const displays = r.body.helpstrings.map((h: { display: string }) => h.display)
    expect(displays).toContain("say <words>")
    expect(displays).toContain("run {{cmd}}")
    expect(displays).not.toContain("off")
    expect(r.body.available).toBe(r.body.helpstrings.length)
    const filtered = await call(sb, "GET", "/api/v1/actionalias/help?filter=SAY", { headers: H })
    expect(filtered.body.helpstrings).toEqual([{ pack: "demo", display: "say <words>", description: null }])
  })

  describe("POST /api/v1/actionalias/match", () => {
    it("answers the alias, display and representation", async () => {
      const r = await call(sb, "POST", "/api/v1/actionalias/match", {
        headers: H,
        body: { command: "say hi" },
      })
      expect(r.status).toBe(200)
      expect(r.body.actionalias.ref).toBe("demo.shown")
      expect(r.body.display).toBe("say <words>")
      expect(r.body.representation).toBe("say {{message}}")
    })
    it("400s no match and more than one match", async () => {
      const none = await call(sb, "POST", "/api/v1/actionalias/match", {
        headers: H,
        body: { command: "zzz" },
      })
      expect(none.body).toEqual({ faultstring: "Command 'zzz' matched no patterns" })
      const two = await call(sb, "POST", "/api/v1/actionalias/match", {
        headers: H,
        body: { command: "same" },
      })
      expect(two.body).toEqual({ faultstring: "Command 'same' matched more than 1 pattern" })
      const off = await call(sb, "POST", "/api/v1/actionalias/match", {
        headers: H,
        body: { command: "off" },
      })
      expect(off.status).toBe(400)
    })
  })

  describe("POST /api/v1/aliasexecution", () => {
    const exec = (body: Record<string, unknown>) =>
      call(sb, "POST", "/api/v1/aliasexecution", { headers: H, body: { source_channel: "#c", ...body } })

    it("201 with execution, actionalias and the ack rendered server-side", async () => {
      const r = await exec({ name: "run", format: "run {{cmd}}", command: "run date", user: "alice" })
      expect(r.status).toBe(201)
      expect(r.body.message).toBe("Running date as demo.run")
      expect(r.body.extra).toEqual({ n: "2" })
      expect(r.body.actionalias.ref).toBe("demo.run")
      expect(r.body.execution.id).toMatch(/^[0-9a-f]{24}$/)
      expect(r.body.execution.status).toBe("requested")
    })
    it.each([
      [{ name: "nope", format: "x", command: "x" }, 404, 'Unable to identify action alias with name "nope".'],
      [{ name: "off", format: "off", command: "off" }, 400, 'Action alias with name "off" is disabled.'],
      [
        { name: "run", format: "run it", command: "run x" },
        400,
        'Format string "run it" is not available on the alias "run"',
      ],
      [
        { name: "run", format: "run {{cmd}}", command: "walk" },
        400,
        'Command "walk" doesn\'t match format string "run {{cmd}}"',
      ],
      [
        { name: "fixed", format: "fixed", command: "fixed message=x" },
        400,
        "Immutable arguments cannot be overriden: message",
      ],
      [
        { name: "ghost", format: "ghost", command: "ghost" },
        404,
        'Action with ref "nope.missing" not found ',
      ],
      [
        { name: "run", format: "run {{cmd}}", command: "run date timeout=soon" },
        400,
        "invalid literal for int() with base 10: 'soon'",
      ],
      [
        { name: "shown", format: "say <words>", command: "say hi" },
        400,
        'Format string "say <words>" is not available on the alias "shown"',
      ],
    ])("%j → %i %s", async (body, status, message) => {
      const r = await exec(body)
      expect(r.status).toBe(status)
      expect(r.body).toEqual({ faultstring: message })
    })
    it("requires name, format, command and source_channel", async () => {
      const r = await call(sb, "POST", "/api/v1/aliasexecution", {
        headers: H,
        body: { name: "run", format: "run {{cmd}}", command: "run x" },
      })
      expect(r.body).toEqual({ faultstring: "'source_channel' is a required property" })
    })
  })

  describe("POST /api/v1/aliasexecution/match_and_execute", () => {
    it("201 {results: [...]} and rejects source_context", async () => {
      const r = await call(sb, "POST", "/api/v1/aliasexecution/match_and_execute", {
        headers: H,
        body: { command: "run hostname", user: "alice", source_channel: "#c" },
      })
      expect(r.status).toBe(201)
      expect(r.body.results).toHaveLength(1)
      expect(r.body.results[0].execution.parameters).toEqual({ cmd: "hostname", timeout: 60 })
      const ctx = await call(sb, "POST", "/api/v1/aliasexecution/match_and_execute", {
        headers: H,
        body: { command: "run hostname", user: "alice", source_channel: "#c", source_context: {} },
      })
      expect(ctx.status).toBe(400)
      expect(ctx.body.faultstring).toBe(
        "Additional properties are not allowed ('source_context' was unexpected)",
      )
      const none = await call(sb, "POST", "/api/v1/aliasexecution/match_and_execute", {
        headers: H,
        body: { command: "zzz", user: "alice", source_channel: "#c" },
      })
      expect(none.body).toEqual({ faultstring: "Command 'zzz' matched no patterns" })
    })
  })

  describe("executions", () => {
    it("go requested → scheduled → running → succeeded with st2's record shape", async () => {
      const r = await call(sb, "POST", "/api/v1/aliasexecution", {
        headers: H,
        body: {
          name: "run",
          format: "run {{cmd}}",
          command: "run echo hello 'big world' now",
          user: "alice",
          source_channel: "#ops",
        },
      })
      const id = r.body.execution.id
      const done = await waitFinished(sb, id, H)
      expect(done.status).toBe("succeeded")
      expect(done.log.map((l: { status: string }) => l.status)).toEqual([
        "requested",
        "scheduled",
        "running",
        "succeeded",
      ])
      expect(done.result).toEqual({
        failed: false,
        return_code: 0,
        stderr: "",
        stdout: "hello big world now",
        succeeded: true,
      })
      expect(done.action).toMatchObject({ ref: "core.local", runner_type: "local-shell-cmd" })
      expect(done.runner).toMatchObject({
        name: "local-shell-cmd",
        runner_module: "local_runner",
        enabled: true,
      })
      expect(done.liveaction).toMatchObject({ action: "core.local", action_is_workflow: false, callback: {} })
      expect(done.context).toEqual({
        action_alias_ref: { id: r.body.actionalias.id, name: "run" },
        api_user: "alice",
        user: "st2admin",
        source_channel: "#ops",
      })
      expect(done.web_url).toBe(`${sb.url}/#/history/${id}/general`)
      expect(done.start_timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      expect(done.end_timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      expect(typeof done.elapsed_seconds).toBe("number")
      expect(sb.executions().some((e) => (e as { id: string }).id === id)).toBe(true)
    })
    it("core.local refuses unknown commands with a failed execution and omits falsy fields", async () => {
      const r = await call(sb, "POST", "/api/v1/aliasexecution/match_and_execute", {
        headers: H,
        body: { command: "run rm -rf /", user: "alice", source_channel: "#c" },
      })
      const done = await waitFinished(sb, r.body.results[0].execution.id, H)
      expect(done.status).toBe("failed")
      expect(done.result).toMatchObject({ failed: true, return_code: 127, succeeded: false, stdout: "" })
      expect(done.result.stderr).toContain("rm: command not found")
      const requested = r.body.results[0].execution
      expect("end_timestamp" in requested).toBe(false)
      expect("result" in requested).toBe(false)
      expect("elapsed_seconds" in requested).toBe(false)
    })
    it("404s an unknown execution and lists newest first with X-Total-Count", async () => {
      const missing = await call(sb, "GET", "/api/v1/executions/000000000000000000000000", { headers: H })
      expect(missing.status).toBe(404)
      expect(missing.body.faultstring).toBe('Unable to identify resource with id "000000000000000000000000".')
      const list = await call(sb, "GET", "/api/v1/executions?limit=2", { headers: H })
      expect(list.body).toHaveLength(2)
      expect(Number(list.headers.get("x-total-count"))).toBeGreaterThanOrEqual(3)
      expect(list.headers.get("x-limit")).toBe("2")
      expect(list.body[0].start_timestamp >= list.body[1].start_timestamp).toBe(true)
    })
  })

  describe("inquiries", () => {
    const ask = async (command: string) => {
      const r = await call(sb, "POST", "/api/v1/aliasexecution/match_and_execute", {
        headers: H,
        body: { command, user: "alice", source_channel: "#c" },
      })
      const id = r.body.results[0].execution.id as string
      const pending = await waitFinished(sb, id, H)
      expect(pending.status).toBe("pending")
      return id
    }
    it("get, list, respond with schema check, then 400 on a repeated answer", async () => {
      const id = await ask("ask continue?")
      const one = await call(sb, "GET", `/api/v1/inquiries/${id}`, { headers: H })
      expect(one.body).toMatchObject({ id, route: "", ttl: 1440, users: [], roles: [] })
      expect(one.body.schema.properties.continue.type).toBe("boolean")
      const list = await call(sb, "GET", "/api/v1/inquiries", { headers: H })
      expect(list.body.map((i: { id: string }) => i.id)).toContain(id)
      const bad = await call(sb, "PUT", `/api/v1/inquiries/${id}`, {
        headers: H,
        body: { id, response: { continue: "yes" } },
      })
      expect(bad.status).toBe(400)
      expect(bad.body.faultstring).toBe(`Response for inquiry "${id}" did not pass schema validation.`)
      const good = await call(sb, "PUT", `/api/v1/inquiries/${id}`, {
        headers: H,
        body: { id, response: { continue: true } },
      })
      expect(good.status).toBe(200)
      expect(good.body).toEqual({ id, response: { continue: true } })
      const done = await waitFinished(sb, id, H)
      expect(done.status).toBe("succeeded")
      expect(done.result.response).toEqual({ continue: true })
      const again = await call(sb, "PUT", `/api/v1/inquiries/${id}`, {
        headers: H,
        body: { id, response: { continue: true } },
      })
      expect(again.status).toBe(400)
      expect(again.body.faultstring).toBe(`Inquiry "${id}" has already been responded to.`)
    })
    it("checks the responding user against users, and 400s a late answer", async () => {
      const id = await ask("askbob")
      const denied = await call(sb, "PUT", `/api/v1/inquiries/${id}`, {
        headers: H,
        body: { id, response: { continue: true } },
      })
      expect(denied.status).toBe(403)
      const bob = await call(sb, "PUT", `/api/v1/inquiries/${id}`, {
        headers: { "St2-Api-Key": "bob-key" },
        body: { id, response: { continue: false } },
      })
      expect(bob.status).toBe(200)
      const late = await ask("ask late?")
      sb.faults.expireInquiries()
      const r = await call(sb, "PUT", `/api/v1/inquiries/${late}`, {
        headers: H,
        body: { id: late, response: { continue: true } },
      })
      expect(r.status).toBe(400)
      expect(r.body.faultstring).toBe(`Inquiry "${late}" timed out and cannot be responded to.`)
    })
  })
})
