import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { renderDefaultResult } from "../../src/sandbox/defaultResultTemplate.ts"
import { toHumanTimeFromSeconds } from "../../src/sandbox/humanTime.ts"
import { renderJinja } from "../../src/sandbox/jinja.ts"
import { defaultAliases, parseAliases, parseUsers } from "../../src/sandbox/sandboxFiles.ts"

// Expected texts were produced by rendering the chatops pack's default.j2 with Jinja2 3.1
// (trim_blocks, lstrip_blocks, st2's to_human_time_from_seconds) over the same records.
describe("default result template = chatops default.j2", () => {
  it("local-shell-cmd keeps stdout/stderr/return_code/error that are truthy", () => {
    const execution = {
      action: { ref: "core.local" },
      id: "5799522f55fc8c2d33ac03e0",
      status: "succeeded",
      web_url: "https://localhost.localdomain/#/history/57967f9355fc8c19a96d9e4f/general",
      runner: { name: "local-shell-cmd" },
      result: {
        failed: false,
        return_code: 0,
        stderr: "",
        stdout: "Thu Jul 28 00:30:39 UTC 2016",
        succeeded: true,
      },
    }
    expect(renderDefaultResult(execution)).toBe(
      "\nAction core.local completed.\nstatus : succeeded\nexecution: 5799522f55fc8c2d33ac03e0\n\nweb_url: https://localhost.localdomain/#/history/57967f9355fc8c19a96d9e4f/general\n\n\nresult :\n--------\nstdout : Thu Jul 28 00:30:39 UTC 2016\n\n",
    )
  })
  it("http-request serializes everything, nested, with Python's True/False", () => {
    const execution = {
      action: { ref: "core.http" },
      id: "e1",
      status: "succeeded",
      runner: { name: "http-request" },
      result: { body: "BLAH", headers: { Server: "nginx" }, parsed: false, status_code: 200 },
    }
    expect(renderDefaultResult(execution)).toBe(
      "\nAction core.http completed.\nstatus : succeeded\nexecution: e1\n\n\n\nresult :\n--------\n  body : BLAH\nheaders : \n  Server : nginx\nparsed : False\nstatus_code : 200\n\n",
    )
  })
  it("remote-shell-cmd per host, elapsed time, multi-line values", () => {
    const execution = {
      action: { ref: "core.remote" },
      id: "a5",
      status: "failed",
      elapsed_seconds: 1.576789,
      runner: { name: "remote-shell-cmd" },
      result: {
        localhost: { return_code: 0, stdout: "ok", stderr: "", succeeded: true },
        far: { return_code: 255, stdout: "", stderr: "", error: "Unable to connect" },
      },
    }
    expect(renderDefaultResult(execution)).toBe(
      "\nAction core.remote completed.\nstatus : failed\nexecution: a5\n\n\nTook 2s to complete.\n\nresult :\n--------\nlocalhost : \n  stdout : ok\n\nfar : \n  return_code : 255\n  error : Unable to connect\n\n",
    )
    const py = {
      action: { ref: "x.y" },
      id: "a4",
      status: "succeeded",
      runner: { name: "python-script" },
      elapsed_seconds: 90061,
      result: { exit_code: 1, result: null, stderr: "Traceback\nRuntimeError: x\n", stdout: "" },
    }
    expect(renderDefaultResult(py)).toBe(
      "\nAction x.y completed.\nstatus : succeeded\nexecution: a4\n\n\nTook 1d1h1m1s to complete.\n\nresult :\n--------\nexit_code : 1\nstderr :       \n  Traceback\nRuntimeError: x\n\n",
    )
  })
  it("to_human_time_from_seconds matches st2", () => {
    expect(toHumanTimeFromSeconds(0)).toBe("0s")
    expect(toHumanTimeFromSeconds(0.25)).toBe("0.25\u03BCs")
    expect(toHumanTimeFromSeconds(59)).toBe("59s")
    expect(toHumanTimeFromSeconds(65)).toBe("1m5s")
    expect(toHumanTimeFromSeconds(3725.5)).toBe("1h2m6s")
    expect(toHumanTimeFromSeconds(2.5)).toBe("2s")
    expect(toHumanTimeFromSeconds(90061)).toBe("1d1h1m1s")
  })
  it("Jinja templates get st2's filters, six.iteritems and selectattr with a test", () => {
    const ctx = { execution: { result: { a: 1, b: 0, c: 2 }, elapsed_seconds: 65 } }
    expect(renderJinja("{{ execution.elapsed_seconds | to_human_time_from_seconds }}", ctx)).toBe("1m5s")
    expect(
      renderJinja(
        "{% for k, v in six.iteritems(execution.result) | selectattr('0', 'in', ['a', 'b']) | selectattr('1') %}{{ k }}={{ v }}{% endfor %}",
        { ...ctx, six: { iteritems: (o: object) => Object.entries(o) } },
      ),
    ).toBe("a=1")
    expect(() => renderJinja("{{ missing.thing }}", {}, true)).toThrow()
  })
})

describe("sandbox files", () => {
  it("the shipped demo aliases parse and include the required kinds", () => {
    const aliases = defaultAliases()
    const formats = aliases.flatMap((a) =>
      a.formats.map((f) => (typeof f === "string" ? f : f.representation)),
    )
    expect(formats).toContain("run {{cmd}} on {{hosts=localhost}}")
    expect(formats).toContain("pack get {{pack}}")
    expect(aliases.some((a) => a.enabled === false)).toBe(true)
    expect(
      aliases.some((a) => a.formats.some((f) => typeof f !== "string" && f.match_multiple === true)),
    ).toBe(true)
    expect(aliases.some((a) => a.formats.some((f) => typeof f !== "string" && f.display !== undefined))).toBe(
      true,
    )
  })
  it("aliases load from JSON lists and YAML documents; bad ones say what is wrong", () => {
    const json = parseAliases('[{"name":"a","pack":"p","action_ref":"core.noop","formats":["a"]}]', "a.json")
    expect(Either.getOrThrow(json).map((a) => a.name)).toEqual(["a"])
    const bad = parseAliases("name: a\npack: p\nformats: [a]\n", "bad.yaml")
    expect(Either.isLeft(bad) && bad.left.message).toMatch(/bad\.yaml: alias #1 \("a"\).*action_ref/)
    const broken = parseAliases("name: [", "broken.yaml")
    expect(Either.isLeft(broken) && broken.left.message).toMatch(/broken\.yaml is not valid YAML or JSON/)
  })
  it("users files: st2's fields, errors for unknown keys and duplicates", () => {
    const ok = parseUsers(
      "users:\n  - name: bot\n    password: p\n    is_service: true\n    api_keys: [k1, {key: k2, enabled: false}]\n    nicknames: {slack: b}\n",
      "u.yaml",
    )
    expect(Either.getOrThrow(ok)[0]).toMatchObject({ name: "bot", is_service: true })
    const unknown = parseUsers("users:\n  - name: a\n    password: p\n    pasword: x\n", "u.yaml")
    expect(Either.isLeft(unknown) && unknown.left.message).toMatch(
      /u\.yaml is not a sandbox users file: users\.0\.pasword/,
    )
    const dup = parseUsers("users:\n  - {name: a, password: p}\n  - {name: a, password: q}\n", "u.yaml")
    expect(Either.isLeft(dup) && dup.left.message).toBe('u.yaml: user "a" is defined twice')
  })
})
