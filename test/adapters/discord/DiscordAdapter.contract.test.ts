import { chatAdapterContract } from "../chatAdapterContract.ts"
import { discordDriver } from "./discordDriver.ts"

chatAdapterContract("discord", discordDriver)
