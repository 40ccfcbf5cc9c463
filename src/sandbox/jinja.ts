import { basename, dirname } from "node:path"
import nunjucks from "nunjucks"
import { parse as parseYaml, stringify as toYaml } from "yaml"
import { toHumanTimeFromSeconds } from "./humanTime.ts"
import { pyTruthy } from "./pyStr.ts"

/** Jinja's `six` helper as st2's templates use it: `six.iteritems(d)` → `[[key, value], ...]`. */
export const six = {
  iteritems: (value: unknown): Array<[string, unknown]> =>
    value !== null && typeof value === "object" ? Object.entries(value as Record<string, unknown>) : [],
}

const jinjaTests: Record<string, (item: unknown, arg: unknown) => boolean> = {
  in: (item, list) =>
    Array.isArray(list)
      ? list.includes(item)
      : typeof list === "string"
        ? list.includes(String(item))
        : list !== null && typeof list === "object" && String(item) in (list as object),
  equalto: (a, b) => a === b,
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  defined: (a) => a !== undefined,
  none: (a) => a === null,
  string: (a) => typeof a === "string",
  number: (a) => typeof a === "number",
  mapping: (a) => a !== null && typeof a === "object" && !Array.isArray(a),
}

const attribute = (item: unknown, attr: string): unknown =>
  item !== null && typeof item === "object" ? (item as Record<string, unknown>)[attr] : undefined

/** Jinja's `selectattr`/`rejectattr`: with a test name (`selectattr('0', 'in', [...])`) or truthiness. */
const attrFilter =
  (keep: boolean) =>
  (items: unknown, attr: string, test?: string, arg?: unknown): unknown[] => {
    const list = Array.isArray(items) ? items : []
    return list.filter((item) => {
      const value = attribute(item, attr)
      if (test === undefined) return pyTruthy(value) === keep
      const fn = jinjaTests[test]
      if (fn === undefined) throw new Error(`no test named '${test}'`)
      return fn(value, arg) === keep
    })
  }

const makeEnv = (strict: boolean): nunjucks.Environment => {
  const env = new nunjucks.Environment(undefined, {
    autoescape: false,
    throwOnUndefined: strict,
    trimBlocks: true,
    lstripBlocks: true,
  })
  env.addFilter("selectattr", attrFilter(true))
  env.addFilter("rejectattr", attrFilter(false))
  env.addFilter("to_human_time_from_seconds", toHumanTimeFromSeconds)
  env.addFilter("to_json_string", (v: unknown, indent?: number) => JSON.stringify(v, null, indent))
  env.addFilter("json_dump", (v: unknown) => JSON.stringify(v))
  env.addFilter("from_json_string", (v: string) => JSON.parse(v))
  env.addFilter("json_parse", (v: string) => JSON.parse(v))
  env.addFilter("to_yaml_string", (v: unknown) => toYaml(v))
  env.addFilter("from_yaml_string", (v: string) => parseYaml(v))
  env.addFilter("to_complex", (v: unknown) => JSON.stringify(v))
  env.addFilter("json_escape", (v: string) => JSON.stringify(String(v)).slice(1, -1))
  env.addFilter("regex_match", (v: string, p: string) => new RegExp(`^(?:${p})`).test(String(v)))
  env.addFilter("regex_search", (v: string, p: string) => new RegExp(p).test(String(v)))
  env.addFilter("regex_replace", (v: string, p: string, r: string) =>
    String(v).replace(new RegExp(p, "g"), r.replace(/\\(\d)/g, "$$$1")),
  )
  env.addFilter("regex_substring", (v: string, p: string, i = 0) => {
    const m = [...String(v).matchAll(new RegExp(p, "g"))][i]
    if (m === undefined) throw new Error(`Could not find matching string for pattern ${p}`)
    return m[1] ?? m[0]
  })
  env.addFilter("use_none", (v: unknown) => (v === null || v === undefined ? "%*****__%NONE%__*****%" : v))
  env.addFilter("basename", (v: string) => basename(String(v)))
  env.addFilter("dirname", (v: string) => dirname(String(v)))
  // addTest exists at run time (nunjucks 3.x) but is missing from @types/nunjucks.
  const withTests = env as unknown as { addTest: (name: string, fn: (...a: unknown[]) => boolean) => void }
  for (const [name, fn] of Object.entries(jinjaTests))
    withTests.addTest(name, fn as (...a: unknown[]) => boolean)
  return env
}

const lenient = makeEnv(false)
const strict = makeEnv(true)

// Parsed templates by source, per environment: an alias's ack and result formats are rendered
// for every execution, and parsing them dominated the sandbox's cost per command. Bounded.
const templateCache = [new Map<string, nunjucks.Template>(), new Map<string, nunjucks.Template>()] as const
const maxCachedTemplates = 1000

/** What `renderString` does, minus parsing the same source again (its path stays unknown). */
const compiled = (source: string, isStrict: boolean): nunjucks.Template => {
  const cache = templateCache[isStrict ? 1 : 0]
  let template = cache.get(source)
  if (template === undefined) {
    if (cache.size >= maxCachedTemplates) cache.clear()
    template = new nunjucks.Template(source, isStrict ? strict : lenient)
    cache.set(source, template)
  }
  return template
}

/** A template that failed to render; `message` says why. */
export class TemplateError extends Error {
  override readonly name = "TemplateError"
}

/**
 * Renders one Jinja template with st2's environment settings (`trim_blocks`, `lstrip_blocks`,
 * st2's custom filters). `strict` makes undefined values an error, as st2's `render_values` does.
 */
export const renderJinja = (template: string, context: Record<string, unknown>, isStrict = false): string => {
  try {
    return compiled(template, isStrict).render(context)
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e)
    throw new TemplateError(text.replace(/^Template render error: \(unknown path\)\s*/s, "").trim())
  }
}

/**
 * st2's `render_values`: renders every value of a mapping as a template; lists and dicts are
 * rendered as their JSON text and parsed back, scalars become strings.
 */
export const renderValues = (
  mapping: Record<string, unknown>,
  context: Record<string, unknown>,
): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(mapping)) {
    if (value !== null && typeof value === "object") {
      out[key] = JSON.parse(renderJinja(JSON.stringify(value), context, true))
    } else {
      const text =
        typeof value === "boolean" ? (value ? "True" : "False") : value === null ? "None" : String(value)
      out[key] = renderJinja(text, context, true)
    }
  }
  return out
}
