import { type ActionAlias, aliasRef } from "../st2/ActionAlias.ts"
import { objectId } from "./ids.ts"

// Aliases are never changed in place (`addAlias` stores new objects), so this is per object.
const formatStringsCache = new WeakMap<ActionAlias, ReadonlyArray<string>>()

/** Every format string an alias accepts in `POST /aliasexecution` (`get_format_strings`). */
export const formatStrings = (alias: ActionAlias): ReadonlyArray<string> => {
  let strings = formatStringsCache.get(alias)
  if (strings === undefined) {
    strings = alias.formats.flatMap((f) => {
      if (typeof f === "string") return [f]
      const rep = f.representation
      if (rep === undefined || rep.length === 0) return []
      return typeof rep === "string" ? [rep] : [...rep]
    })
    formatStringsCache.set(alias, strings)
  }
  return strings
}

/** The aliases the sandbox serves, with the `id`, `ref`, `uid` and `enabled` st2 fills in. */
export class AliasStore {
  readonly all: ReadonlyArray<ActionAlias>
  /** The first alias of each name in `all`'s order, as `all.find` would answer. */
  readonly #byName = new Map<string, ActionAlias>()

  constructor(aliases: ReadonlyArray<ActionAlias>) {
    this.all = [...aliases]
      .map((a) => ({
        ...a,
        id: a.id ?? objectId(),
        ref: aliasRef(a),
        uid: `action_alias:${a.pack}:${a.name}`,
        enabled: a.enabled ?? true,
        metadata_file: a.metadata_file ?? `aliases/${a.name}.yaml`,
      }))
      .sort((a, b) => (a.pack === b.pack ? cmp(a.name, b.name) : cmp(a.pack, b.pack)))
    for (const a of this.all) if (!this.#byName.has(a.name)) this.#byName.set(a.name, a)
  }

  byName(name: string): ActionAlias | undefined {
    return this.#byName.get(name)
  }

  byRefOrId(refOrId: string): ActionAlias | undefined {
    return this.all.find((a) => a.id === refOrId || a.ref === refOrId)
  }

  byId(id: string): ActionAlias | undefined {
    return this.all.find((a) => a.id === id)
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
