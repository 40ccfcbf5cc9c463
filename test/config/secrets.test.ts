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
  "xoxb-SLACKBOT-1",
  "xapp-SLACKAPP-2",
  "SLACK-SIGNING-3",
  "DISCORD-TOKEN-4",
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
        adapters: [
          {
            type: "slack",
            mode: "http",
            bot_token: SECRETS[5],
            app_token: SECRETS[6],
            signing_secret: SECRETS[7],
          },
          { type: "discord", token_file: "/s/discord" },
        ],
      },
      {
        env: { PW: SECRETS[0] },
        readFile: memoryFiles({ "/s/tok": `${SECRETS[2]}\n`, "/s/discord": `${SECRETS[8]}\n` }),
      },
    )
    const text = renderEffectiveConfig(loaded)
    expect(text).toMatch(/bot_token: <redacted> +# file/)
    expect(text).toMatch(/signing_secret: <redacted> +# file/)
    expect(text).toMatch(/http_path: \/slack\/events +# default/)
    expect(text).toMatch(/token: <redacted> +# file \(adapters\[1\]\.token_file, read from \/s\/discord\)/)
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
