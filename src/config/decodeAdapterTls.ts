import { Schema } from "effect"
import type { AdapterTlsConfig } from "../adapters/AdapterTls.ts"
import { Bool, FilePath } from "./configLeaves.ts"
import type { DecodeContext } from "./DecodeContext.ts"
import { TLS_ENV_VARIABLE } from "./insecureTls.ts"

const opt = <S extends Schema.Schema.All>(s: S) => Schema.optionalWith(s, { exact: true })

/**
 * `tls` of a network adapter's entry: how its SDK's connections check the platform's
 * certificate. Every network adapter takes it and passes it explicitly to each connection its
 * SDK opens, so `NODE_TLS_REJECT_UNAUTHORIZED` never decides for them (docs/adapters.md).
 */
export const TlsSection = Schema.Struct({ ca_file: opt(FilePath), verify: opt(Bool) })

/**
 * The decoded `tls` of the entry at `at` (already checked by `TlsSection`): `verify` (default
 * true) and `ca_file` (PEM, read now), `explicit` when the file set either. With
 * `NODE_TLS_REJECT_UNAUTHORIZED=0` honoured (`insecure_tls_for_all: true`), an entry that sets
 * neither gets `verify: false`, its source the variable.
 */
export const decodeAdapterTls = (
  ctx: DecodeContext,
  at: string,
  raw: unknown,
  tlsEnvHonoured: boolean,
): AdapterTlsConfig => {
  const t = (raw ?? {}) as { readonly ca_file?: string; readonly verify?: boolean }
  const ca = ctx.pem(`${at}.tls.ca_file`, t.ca_file)
  if (ca) ctx.sources.set(`${at}.tls.ca_file`, ctx.fromFile(`${at}.tls.ca_file`, ca.resolved))
  const explicit = t.verify !== undefined || t.ca_file !== undefined
  const verify = t.verify ?? !(tlsEnvHonoured && !explicit)
  ctx.sources.set(
    `${at}.tls.verify`,
    t.verify !== undefined
      ? ctx.fromFile(`${at}.tls.verify`)
      : verify
        ? { _tag: "default" }
        : { _tag: "env", variable: TLS_ENV_VARIABLE },
  )
  return { verify, ...(ca ? { ca: ca.text } : {}), explicit }
}
