import type { ActionAlias } from "../src/st2/ActionAlias.ts"

/**
 * A deterministic corpus of realistic aliases for the match benchmark: packs of aliases whose
 * formats start with a pack word and a verb, 0-4 placeholders (some with defaults, some quoted
 * connectors), object formats with display/representation pairs, regex formats (alternations,
 * named groups, own anchors), a few formats starting with a placeholder, and match_multiple ones.
 */
const VERBS = ["get", "list", "create", "delete", "restart", "deploy", "show", "scale", "sync", "rollback"]
const NOUNS = ["server", "service", "issue", "ticket", "host", "pod", "build", "release", "user", "key"]
const CONNECT = ["on", "to", "for", "in", "with", "from"]
const PARAMS = ["name", "env", "host", "count", "region", "id", "branch", "message"]

/** A small seeded PRNG so every run builds the same corpus. */
const rng = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}

export interface Corpus {
  readonly aliases: ReadonlyArray<ActionAlias>
  readonly formatCount: number
  /** Matches the last alias registered (and nothing else). */
  readonly hitCommand: string
  readonly missCommand: string
  /** A mix of hits and misses for the after-rebuild measurement. */
  readonly mixedCommands: ReadonlyArray<string>
}

export const buildCorpus = (targetFormats = 10_000): Corpus => {
  const rand = rng(42)
  const pick = <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(rand() * xs.length)]!
  const aliases: Array<ActionAlias> = []
  let formats = 0
  let packIndex = 0
  const commands: Array<string> = []
  while (formats < targetFormats) {
    const pack = `pack${packIndex++}`
    for (let a = 0; a < 20 && formats < targetFormats; a++) {
      const verb = VERBS[a % VERBS.length]!
      const noun = `${NOUNS[Math.floor(a / 2) % NOUNS.length]!}${a}`
      const placeholders = Math.floor(rand() * 5)
      let text = `${pack} ${verb} ${noun}`
      let command = text
      for (let p = 0; p < placeholders; p++) {
        const name = `${PARAMS[p]!}`
        if (p > 0) {
          const c = pick(CONNECT)
          text += ` ${c}`
          command += ` ${c}`
        }
        if (rand() < 0.3) text += ` {{ ${name} = default${p} }}`
        else text += ` {{${name}}}`
        command += rand() < 0.2 ? ` "value ${p}"` : ` value${p}`
      }
      const shape = rand()
      let alias: ActionAlias
      if (shape < 0.1) {
        alias = {
          name: `${verb}_${noun}`,
          pack,
          action_ref: `${pack}.${verb}`,
          description: `${verb} a ${noun}`,
          formats: [
            {
              display: text,
              representation: [text, `${pack} ${verb}-${noun}${placeholders > 0 ? " {{name}}" : ""}`],
            },
          ],
        }
        formats += 2
      } else if (shape < 0.15) {
        const regex = pick([
          `(${verb}|do-${verb}) ${pack}-${noun}( {{name}})?[!.]?`,
          `${pack} ${verb} ${noun} (?P<ticket>[A-Z]+-\\d+)`,
          `^\\s*${pack} ${verb} ${noun}(?: {{name}})?\\s*$`,
          `(?:please )?${pack} ${verb} ${noun} {{name}}`,
        ])
        alias = { name: `${verb}_${noun}`, pack, action_ref: `${pack}.${verb}`, formats: [regex] }
        formats += 1
      } else if (shape < 0.16) {
        alias = {
          name: `${verb}_${noun}`,
          pack,
          action_ref: `${pack}.${verb}`,
          formats: [`{{target}} ${pack}-${verb}-${noun}`],
        }
        formats += 1
      } else if (shape < 0.17) {
        alias = {
          name: `${verb}_${noun}`,
          pack,
          action_ref: `${pack}.${verb}`,
          formats: [
            {
              display: `${pack} ${verb} ${noun} {{id}}`,
              representation: [`${pack}-${noun}-(?P<id>\\d+)`],
              match_multiple: true,
            },
          ],
        }
        formats += 1
      } else {
        alias = { name: `${verb}_${noun}`, pack, action_ref: `${pack}.${verb}`, formats: [text] }
        formats += 1
      }
      aliases.push(alias)
      commands.push(command)
    }
  }
  // The last alias gets a plain, unambiguous format so the hit command is a true single match.
  const last = aliases[aliases.length - 1]!
  const lastText = `${last.pack} final ${last.name} {{name}} on {{ host = localhost }}`
  aliases[aliases.length - 1] = { ...last, formats: [lastText] }
  const hitCommand = `${last.pack} final ${last.name} web-01 on db-02`
  const missCommand = "xyzzy plugh frobnicate the-widget now"
  const mixedCommands = [hitCommand, missCommand, ...commands.filter((_, i) => i % 997 === 0).slice(0, 8)]
  return { aliases, formatCount: formats, hitCommand, missCommand, mixedCommands }
}
