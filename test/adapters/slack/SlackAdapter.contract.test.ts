import { chatAdapterContract } from "../chatAdapterContract.ts"
import { slackDriver } from "./slackWorld.ts"

chatAdapterContract("slack (socket mode)", slackDriver("socket"))
chatAdapterContract("slack (HTTP Events API)", slackDriver("http"))
