import { type ActionAlias, aliasRef } from "../st2/ActionAlias.ts"
import { objectId } from "./ids.ts"

/** Every format string an alias accepts in `POST /aliasexecution` (`get_format_strings`). */
export const formatStrings = (alias: ActionAlias): string[] =>
  alias.formats.flatMap((f) => {
    if (typeof f === "string") return [f]
    const rep = f.representation
    if (rep === undefined || rep.length === 0) return []
    return typeof rep === "string" ? [rep] : [...rep]
  })

/** The aliases the sandbox serves, with the `id`, `ref`, `uid` and `enabled` st2 fills in. */
export class AliasStore {
  readonly all: ReadonlyArray<ActionAlias>

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
  }

  byName(name: string): ActionAlias | undefined {
    return this.all.find((a) => a.name === name)
  }

  byRefOrId(refOrId: string): ActionAlias | undefined {
    return this.all.find((a) => a.id === refOrId || a.ref === refOrId)
  }

  byId(id: string): ActionAlias | undefined {
    return this.all.find((a) => a.id === id)
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
