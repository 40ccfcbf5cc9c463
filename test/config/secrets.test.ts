// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${VAR} syntax
import { describe, expect, it } from "vitest"
import { formatConfigError, formatConfigWarnings } from "../../src/config/formatConfigError.ts"
import { renderEffectiveConfig } from "../../src/config/renderEffectiveConfig.ts"
import { decodeErr, decodeOk, memoryFiles } from "./helpers.ts"

const SECRETS = [
  "PW-d41d8cd98f",
  "KEY-9e107d9d37",
  "TOK-e4d909c290",
  "HOOK-0123456789abcdef",
  "VAULT-45c48cce2e",
]

describe("secrets never appear in messages or in the printed configuration", () => {
  it("the effective configuration redacts every secret, wherever it came from", () => {
    const loaded = decodeOk(
      {
        stackstorm: {
          api_auth: { key: SECRETS[1], token_file: "/s/tok", user: { name: "bot", password: "${PW}" } },
          secrets_store: { vault: { url: "https://vault:8200", token: SECRETS[4] } },
        },
        web: { enabled: true, webhook_secret: SECRETS[3] },
      },
      { env: { PW: SECRETS[0] }, readFile: memoryFiles({ "/s/tok": `${SECRETS[2]}\n` }) },
    )
    const text = renderEffectiveConfig(loaded)
    for (const s of SECRETS) expect(text).not.toContain(s)
    expect(text).toMatch(/password: <redacted> +# file \(\$\{PW\}\)/)
    expect(text).toMatch(/token: <redacted> +# file \(stackstorm\.api_auth\.token_file, read from \/s\/tok\)/)
    expect(text).toMatch(/webhook_secret: <redacted>/)
    expect(formatConfigWarnings(loaded.warnings)).not.toMatch(new RegExp(SECRETS.join("|")))
    // Redacted values also hide themselves from JSON and string conversion.
    expect(JSON.stringify(loaded.config)).not.toMatch(new RegExp(SECRETS.join("|")))
  })

  it("bad secret values are described, not quoted", () => {
    const e = decodeErr(
      {
        stackstorm: {
          api_auth: {
            key: 12345678901,
            token: ["TOK-e4d909c290"],
            user: { name: "bot", password: { p: SECRETS[0] } },
          },
          api_url: "https://user:PW-d41d8cd98f@st2/api",
          auth_url: "htps//x:PW-d41d8cd98f@st2",
        },
        web: { webhook_secret: "HOOK-short" },
      },
      {},
    )
    const text = formatConfigError(e)
    for (const s of [...SECRETS, "12345678901", "HOOK-short"]) expect(text).not.toContain(s)
    expect(text).toContain("stackstorm.api_auth.key: must be text, got a number")
    expect(text).toContain("stackstorm.api_url: must not contain a user name or password")
    expect(text).toContain("stackstorm.auth_url: the value is not a URL")
  })
})
