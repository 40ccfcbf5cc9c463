import { Either, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { chooseCredentialSource, describeCredentialSource } from "../../src/st2/CredentialSource.ts"

const r = Redacted.make
describe("chooseCredentialSource (err-stackstorm's precedence)", () => {
  it("an API key wins over a token and a password", () => {
    const s = Either.getOrThrow(
      chooseCredentialSource({ apiKey: r("k"), token: r("t"), username: "u", password: r("p") }),
    )
    expect(s._tag).toBe("ApiKey")
  })
  it("a token wins over a password", () => {
    const s = Either.getOrThrow(chooseCredentialSource({ token: r("t"), username: "u", password: r("p") }))
    expect(s._tag).toBe("Token")
  })
  it("username/password last, with the token ttl", () => {
    const s = Either.getOrThrow(
      chooseCredentialSource({ username: "u", password: r("p"), tokenTtlSeconds: 600 }),
    )
    expect(s).toMatchObject({ _tag: "Password", username: "u", ttlSeconds: 600 })
  })
  it("empty values do not count", () => {
    const s = Either.getOrThrow(chooseCredentialSource({ apiKey: r(""), username: "u", password: r("p") }))
    expect(s._tag).toBe("Password")
  })
  it("none: a message naming every option, and the half-configured one", () => {
    const e = Either.getLeft(chooseCredentialSource({ username: "u" }))
    expect(e._tag).toBe("Some")
    if (e._tag === "Some") {
      expect(e.value.message).toContain("a username is set but no password")
      expect(e.value.message).toContain("ST2_API_KEY")
    }
  })
  it("descriptions never hold the secret", () => {
    const s = Either.getOrThrow(chooseCredentialSource({ apiKey: r("very-secret") }))
    expect(describeCredentialSource(s)).not.toContain("very-secret")
  })
})
