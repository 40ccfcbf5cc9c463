import { describe, expect, it } from "vitest"
import { describeFailure, notReachable } from "../../src/bot/describeFailure.ts"
import { renderAck } from "../../src/bot/renderAck.ts"
import type { ActionAlias } from "../../src/st2/ActionAlias.ts"
import { CredentialUnavailable } from "../../src/st2/St2Credential.ts"
import {
  St2BadRequest,
  St2ServerError,
  St2Timeout,
  St2Unauthorized,
  St2Unavailable,
} from "../../src/st2/St2Error.ts"
import type { AliasExecutionResult } from "../../src/st2/schemas/AliasExecution.ts"

const alias = (ack?: ActionAlias["ack"]): ActionAlias => ({
  name: "run",
  pack: "core",
  action_ref: "core.remote",
  formats: ["run {{cmd}}"],
  ...(ack === undefined ? {} : { ack }),
})
const result = (message?: string | null, webUrl = "https://st2/#/history/abc/general") =>
  ({
    execution: { id: "abc", status: "requested", web_url: webUrl },
    ...(message === undefined ? {} : { message }),
  }) as unknown as AliasExecutionResult

describe("renderAck", () => {
  it("uses st2's rendered message and appends the web_url", () => {
    expect(renderAck(alias(), result("Running date..."))).toBe(
      "Running date...\nhttps://st2/#/history/abc/general",
    )
  })
  it("falls back to a short default naming the execution", () => {
    expect(renderAck(alias(), result(undefined))).toBe(
      "Got it: core.remote is running as execution abc.\nhttps://st2/#/history/abc/general",
    )
    expect(renderAck(alias(), result("  "))).toContain("execution abc")
  })
  it("honours ack.enabled: false (nothing) and ack.append_url: false (no URL); missing means enabled", () => {
    expect(renderAck(alias({ enabled: false }), result("x"))).toBeUndefined()
    expect(renderAck(alias({ append_url: false }), result("x"))).toBe("x")
    expect(renderAck(alias({ format: "x" }), result("x"))).toBe("x\nhttps://st2/#/history/abc/general")
  })
})

describe("describeFailure", () => {
  const at = { method: "POST", path: "/api/v1/aliasexecution" }
  it("says StackStorm is unreachable for outages, and that the command was not run", () => {
    for (const e of [
      new St2Unavailable({ ...at, cause: "ECONNREFUSED" }),
      new St2Timeout({ ...at, timeoutMs: 10 }),
      new St2ServerError({ ...at, status: 503, faultstring: "down" }),
    ])
      expect(describeFailure(e)).toBe(notReachable)
  })
  it("passes st2's faultstring on for refusals, never a credential", () => {
    expect(
      describeFailure(
        new St2BadRequest({ ...at, status: 400, faultstring: 'Action alias with name "x" is disabled.' }),
      ),
    ).toBe('StackStorm refused the command: Action alias with name "x" is disabled.')
    expect(
      describeFailure(
        new St2Unauthorized({ ...at, status: 401, faultstring: "Unauthorized", reason: "unknownToken" }),
      ),
    ).toMatch(/rejected stormbot's credential; your command was not run/)
    expect(describeFailure(new CredentialUnavailable({ message: "secret detail", permanent: false }))).toBe(
      "stormbot cannot log in to StackStorm right now; your command was not run.",
    )
  })
})
