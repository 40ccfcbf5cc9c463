/**
 * What chat clients substitute for what a person typed, undone before a command is matched
 * (action aliases are written in plain ASCII): curly single quotes and primes → `'`, curly
 * double quotes → `"`, non-breaking and other typographic spaces → a space, zero-width
 * characters (space, joiners, byte-order mark) removed. An adapter whose platform's clients do
 * this (Slack, Discord) applies it to inbound text after its own markup is undone
 * (docs/adapters.md, "Writing a new adapter"); the terminal passes lines as typed.
 */
export const normaliseTypography = (text: string): string =>
  text
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, " ")
    .replace(/[\u200B-\u200D\uFEFF]/g, "")
