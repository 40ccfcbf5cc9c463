import { Either, Schema } from "effect"
import type { AdapterDefinition, AdapterEntryContext } from "../adapters/AdapterDefinition.ts"
import { ADAPTERS, type AdapterConfig } from "../adapters/adapterRegistry.ts"
import { Text } from "./configLeaves.ts"
import { type ConfigPath, formatPath } from "./configPath.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import { decodeAdapterTls, TlsSection } from "./decodeAdapterTls.ts"
import { suggestion } from "./didYouMean.ts"
import { issuesToProblems } from "./issuesToProblems.ts"

const isRecord = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

const schemas = new WeakMap<AdapterDefinition, Schema.Schema<Record<string, unknown>, unknown>>()
/** An entry's whole schema: `type`, `name`, the definition's settings, and `tls` for a network adapter. */
const entrySchema = (d: AdapterDefinition) => {
  let schema = schemas.get(d)
  if (schema === undefined) {
    schema = Schema.Struct({
      type: Text,
      name: Schema.optionalWith(Text, { exact: true }),
      ...d.settings,
      ...(d.tls === undefined ? {} : { tls: Schema.optionalWith(TlsSection, { exact: true }) }),
    }) as unknown as Schema.Schema<Record<string, unknown>, unknown>
    schemas.set(d, schema)
  }
  return schema
}

/**
 * `adapters`: each entry decoded by the registry entry of its `type` (`adapterRegistry.ts`).
 * Absent: one terminal. Unknown types list the known ones (with a did-you-mean), unknown keys
 * the entry's own; names must be unique. Every entry is checked, so every problem is reported.
 * `tlsEnvHonoured`: `NODE_TLS_REJECT_UNAUTHORIZED=0` with `insecure_tls_for_all: true`.
 */
export const decodeAdapters = (
  ctx: DecodeContext,
  entries: ReadonlyArray<unknown> | undefined,
  tlsEnvHonoured: boolean,
): ReadonlyArray<AdapterConfig> => {
  if (entries === undefined) {
    ctx.sources.set("adapters[0].type", { _tag: "default" })
    ctx.sources.set("adapters[0].name", { _tag: "default" })
    return [{ type: "text", name: "text" }]
  }
  if (entries.length === 0) {
    ctx.problem(
      "adapters",
      "is empty",
      "list at least one adapter, e.g. `- type: text`, or remove the key for the default",
    )
  }
  const registry: ReadonlyArray<AdapterDefinition> = ADAPTERS
  const types = registry.map((d) => d.type)
  const known = `known types: ${types.join(", ")}`
  const names = new Map<string, number>()

  const decodeEntry = (item: unknown, i: number): AdapterConfig | undefined => {
    const at: ConfigPath = ["adapters", i]
    const path = formatPath(at)
    if (!isRecord(item))
      return ctx.problem(
        path,
        `must be a mapping with a \`type\`, got ${item === null ? "nothing" : typeof item}`,
        known,
      )
    const type = item.type
    if (type === undefined || type === null) return ctx.problem(`${path}.type`, "is required", known)
    if (typeof type !== "string") return ctx.problem(`${path}.type`, "must be text", known)
    const definition = registry.find((d) => d.type === type)
    if (definition === undefined) {
      const close = suggestion(type, types, "known types")
      return ctx.problem(
        `${path}.type`,
        `unknown adapter type \`${type}\``,
        close.startsWith("did") ? `${close} (${known})` : close,
      )
    }
    const r = Schema.decodeUnknownEither(entrySchema(definition), {
      errors: "all",
      onExcessProperty: "error",
    })(item)
    if (Either.isLeft(r)) {
      for (const l of issuesToProblems(r.left.issue, at)) ctx.problems.push(l.problem)
      return undefined
    }
    const entry = r.right
    const given = entry.name as string | undefined
    const name = given ?? type
    ctx.sources.set(`${path}.type`, ctx.fromFile(`${path}.type`))
    ctx.sources.set(`${path}.name`, given === undefined ? { _tag: "default" } : ctx.fromFile(`${path}.name`))
    const seen = names.get(name)
    if (seen !== undefined)
      ctx.problem(
        `${path}.name`,
        `\`${name}\` is already the name of adapters[${seen}]`,
        "give each adapter a unique name",
      )
    names.set(name, i)

    const settings = definition.decode(entry, entryContext(ctx, path, name, entry, definition))
    const tls =
      definition.tls === undefined ? undefined : decodeAdapterTls(ctx, path, entry.tls, tlsEnvHonoured)
    if (settings === undefined) return undefined
    const adapter = { type, name, ...settings, ...(tls === undefined ? {} : { tls }) } as AdapterConfig
    if (tls?.explicit && !tls.verify)
      ctx.warnings.push({
        path: `${path}.tls.verify`,
        message: `is false: adapter \`${name}\` accepts any certificate on ${definition.tls!.connections(adapter).join(", ")}`,
        hint:
          tls.ca === undefined
            ? "give tls.ca_file with the CA that signs the platform's (or the proxy's) certificate instead"
            : "tls.ca_file is not used while verify is false: remove verify: false",
      })
    return adapter
  }

  const out: AdapterConfig[] = []
  for (const [i, item] of entries.entries()) {
    const adapter = decodeEntry(item, i)
    if (adapter) out.push(adapter)
  }
  return out
}

/** The helpers a definition decodes its entry with: secrets (or their `*_file`s), settings' sources, required keys. */
const entryContext = (
  ctx: DecodeContext,
  at: string,
  name: string,
  entry: Readonly<Record<string, unknown>>,
  definition: AdapterDefinition,
): AdapterEntryContext => {
  const text = (k: string) => (typeof entry[k] === "string" ? (entry[k] as string) : undefined)
  return {
    at,
    name,
    secret: (key) => {
      const found = ctx.secret(at, [
        [key, text(key)],
        [`${key}_file`, text(`${key}_file`)],
      ])
      if (found) ctx.sources.set(`${at}.${key}`, found[1])
      return found?.[0]
    },
    setting: <A>(key: string, value: A | undefined, dflt?: A): A => {
      ctx.sources.set(
        `${at}.${key}`,
        value === undefined ? { _tag: "default" } : ctx.fromFile(`${at}.${key}`),
      )
      return (value ?? dflt) as A
    },
    required: (key, why) =>
      ctx.problem(
        `${at}.${key}`,
        `is required ${why}`,
        `${key}_file` in definition.settings
          ? `set ${key} (or ${key}_file, or \${VAR})`
          : `set ${key} (or \${VAR})`,
      ),
  }
}
