import { Effect } from "effect"
import { makeFakeChatAdapter } from "../fakes/FakeChatAdapter.ts"
import { chatAdapterContract } from "./chatAdapterContract.ts"

chatAdapterContract("fake", () =>
  Effect.sync(() => {
    const adapter = makeFakeChatAdapter({ connected: false })
    adapter.addRoom("x")
    return {
      adapter,
      sayInRoom: (text) => Effect.sync(() => void adapter.say("alice", "ops", text, { thread: "T1" })),
      received: () => adapter.outbound.map((s) => s.text),
    }
  }),
)
