import { type Redacted, Schema } from "effect"
import { FilePath, SecretText } from "../config/configLeaves.ts"
import type { AdapterTlsConfig } from "./AdapterTls.ts"
import type { ChatAdapter } from "./ChatAdapter.ts"

/**
 * How one chat backend describes itself to the rest of stormbot (docs/adapters.md, "Writing a
 * new adapter"): its `adapters[].type`, the keys of its configuration entry, how an entry is
 * decoded and shown by `config check`, and how an adapter is built, loading its SDK only then.
 * Each backend's folder exports one (`slack/slackDefinition.ts`); `adapterRegistry.ts` lists
 * them. Configuration decoding, `config check`, the TLS start-up check and `makeAdapters` read
 * the registry, so a new backend touches nothing outside its folder but that list.
 *
 * The registry does `type`, `name` (default: the type; unique), unknown keys and types (with a
 * did-you-mean), and, for a network adapter (`tls` set), the entry's `tls: { ca_file, verify }`
 * (decoded to `AdapterTlsConfig`, shown, warned about, listed by the `NODE_TLS_REJECT_UNAUTHORIZED`
 * check). A definition does the rest, with the helpers of `AdapterEntryContext`.
 */
export interface AdapterDefinition<
  C extends AdapterConfigBase = AdapterConfigBase,
  F extends Schema.Struct.Fields = Schema.Struct.Fields,
  O = unknown,
> {
  /** `adapters[].type`; also the adapter's `kind`. */
  readonly type: C["type"]
  /**
   * The entry's keys besides `type`, `name` and `tls`, each a leaf of `config/configLeaves.ts`
   * wrapped in `optional` (leaf messages never quote a secret). A secret is `...secretKeys(k)`.
   * Their order is the order "known keys here" lists them in.
   */
  readonly settings: F
  /** Set for a network adapter: the entry takes `tls`, and these are the TLS connections its SDK opens. */
  readonly tls?: AdapterTlsConnections<C> | undefined
  /**
   * The decoded settings of one entry that passed its schema, or `undefined` when one is
   * missing (report it with `ctx.required`; report every problem before returning).
   */
  decode(entry: Schema.Struct.Type<F>, ctx: AdapterEntryContext): AdapterSettings<C> | undefined
  /** `config check`'s lines for the settings, in the order of the entry's keys (secrets via `lines.secret`). */
  show(config: C, lines: AdapterConfigLines): void
  /** Builds the adapter; imports the backend's code (and SDK) here, so only configured backends load it. */
  make(config: C, options: O | undefined): Promise<ChatAdapter>
}

/** What every decoded adapter entry has. `name` is unique among the entries. */
export interface AdapterConfigBase {
  readonly type: string
  readonly name: string
}

/** A definition's part of its decoded entry: everything but `type`, `name` and `tls`, which the registry fills. */
export type AdapterSettings<C extends AdapterConfigBase> = Omit<C, "type" | "name" | "tls">

export interface AdapterTlsConnections<C> {
  /** Named for the operator, e.g. `the Slack Web API` (the start-up refusal lists them). */
  connections(config: C): ReadonlyArray<string>
}

/** The helpers a definition's `decode` gets; problems and sources go to the whole configuration's. */
export interface AdapterEntryContext {
  /** Where the entry is: `adapters[2]`. */
  readonly at: string
  /** The entry's `name` (or its type). */
  readonly name: string
  /**
   * A secret given as `key` (best with `${VAR}`) or `key_file` (the file's contents, trailing
   * newlines trimmed), `Redacted`, its source recorded; `undefined` when neither is set or the
   * file cannot be read (that is reported). Both set is a problem.
   */
  secret(key: string): Redacted.Redacted<string> | undefined
  /** A plain setting's value, or `dflt`; records whether it came from the file or the default. */
  setting<A>(key: string, value: A | undefined, dflt: A): A
  /** A plain setting the file set (a required one, checked): records it came from the file. */
  setting<A>(key: string, value: A): A
  /** Reports `key` as missing: `is required <why>`, with how to give it. */
  required(key: string, why: string): void
}

/** Where `show` writes: one `key: value  # source` line per call, indented under the entry. */
export interface AdapterConfigLines {
  /** A plain value; nothing is written for `undefined`. */
  value(key: string, value: string | number | boolean | undefined): void
  /** `key: <redacted>` when the secret is set. */
  secret(key: string, value: Redacted.Redacted<string> | undefined): void
}

/** The decoded entry of a definition (`type`, `name`, its settings, `tls` for a network adapter). */
export type AdapterConfigOf<D> = D extends AdapterDefinition<infer C, infer _F, infer _O> ? C : never
/** What `makeAdapters` may pass a definition's `make` besides the configuration (tests, embedding). */
export type AdapterOptionsOf<D> = D extends AdapterDefinition<infer _C, infer _F, infer O> ? O : never

/**
 * Declares a backend: `defineAdapter<SlackConfig, SlackAdapterOptions>()({ type: "slack", ... })`.
 * `C` is the decoded entry; it has `tls: AdapterTlsConfig` exactly when the definition sets `tls`.
 */
export const defineAdapter =
  <C extends AdapterConfigBase, O = undefined>() =>
  <F extends Schema.Struct.Fields>(
    definition: AdapterDefinition<C, F, O> &
      (C extends { readonly tls: AdapterTlsConfig }
        ? { readonly tls: AdapterTlsConnections<C> }
        : { readonly tls?: undefined }),
  ): AdapterDefinition<C, F, O> =>
    definition

/** An optional key of an entry (absent, not `undefined`, when not written). */
export const optional = <S extends Schema.Schema.All>(s: S) => Schema.optionalWith(s, { exact: true })

/** A secret's two keys: `key` (text, never quoted in a message) and `key_file` (a path). */
export const secretKeys = <K extends string>(key: K) =>
  ({ [key]: optional(SecretText), [`${key}_file`]: optional(FilePath) }) as {
    readonly [P in K | `${K}_file`]: P extends K
      ? ReturnType<typeof optional<typeof SecretText>>
      : ReturnType<typeof optional<typeof FilePath>>
  }
