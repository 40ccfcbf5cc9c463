import { fetch } from "undici"
import { describe, expect, it } from "vitest"
import { call, readStream, withSandbox } from "./helpers.ts"

describe("the demo alias set", () => {
  it("`run date on localhost` answers a nice result on the errbot route; match_multiple runs once per key", async () => {
    const sb = await withSandbox()
    try {
      const H = { "St2-Api-Key": sb.apiKey }
      const res = await fetch(`${sb.url}/stream/v1/stream?events=st2.announcement__*`, { headers: H })
      const body = res.body as unknown as ReadableStream<Uint8Array>
      const r = await call(sb, "POST", "/api/v1/aliasexecution/match_and_execute", {
        headers: H,
        body: {
          command: "run date on localhost",
          user: "alice",
          source_channel: "#demo",
          notification_route: "errbot",
        },
      })
      expect(r.status).toBe(201)
      expect(r.body.results[0].message).toBe("Running `date` on localhost...")
      const text = await readStream(body, (t) => t.includes("st2.announcement__errbot") && t.endsWith("\n\n"))
      const data = JSON.parse(text.split("data: ")[1]!.split("\n")[0]!)
      expect(data.payload.message).toMatch(/^localhost: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\n?$/)
      const multi = await call(sb, "POST", "/api/v1/aliasexecution/match_and_execute", {
        headers: H,
        body: { command: "please look at OPS-1 and DEV-22", user: "alice", source_channel: "#demo" },
      })
      expect(
        multi.body.results.map(
          (x: { execution: { parameters: { key: string } } }) => x.execution.parameters.key,
        ),
      ).toEqual(["OPS-1", "DEV-22"])
      const off = await call(sb, "POST", "/api/v1/actionalias/match", {
        headers: H,
        body: { command: "reboot web1" },
      })
      expect(off.status).toBe(400)
      await body.cancel()
    } finally {
      await sb.stop()
    }
  })
})
