import { PassThrough } from "node:stream"
import { Effect } from "effect"
import { makeTextAdapter } from "../../src/adapters/text/TextAdapter.ts"
import { chatAdapterContract } from "./chatAdapterContract.ts"

chatAdapterContract("text", () =>
  Effect.sync(() => {
    const input = new PassThrough()
    const output = new PassThrough()
    let printed = ""
    output.on("data", (b: Buffer) => {
      printed += b.toString("utf8")
    })
    return {
      adapter: makeTextAdapter({ input, output, username: "alice", interactive: false }),
      sayInRoom: (text) => Effect.sync(() => void input.write(`${text}\n`)),
      received: () => [printed],
    }
  }),
)
