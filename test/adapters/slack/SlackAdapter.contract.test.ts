import { chatAdapterCapabilityContract } from "../chatAdapterCapabilityContract.ts"
import { chatAdapterContract } from "../chatAdapterContract.ts"
import { slackDriver } from "./slackWorld.ts"

chatAdapterContract("slack (socket mode)", slackDriver("socket"))
chatAdapterCapabilityContract("slack (socket mode)", slackDriver("socket"))
chatAdapterContract("slack (HTTP Events API)", slackDriver("http"))
chatAdapterCapabilityContract("slack (HTTP Events API)", slackDriver("http"))
