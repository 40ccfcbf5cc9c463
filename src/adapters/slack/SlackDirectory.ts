import type { webApi } from "@slack/bolt"
import type { ChatRoom, ChatUser } from "../ChatMessage.ts"

/** A conversation as stormbot needs it: a room, or a person's DM channel. */
export interface SlackConversation {
  readonly id: string
  readonly name: string
  /** A one-to-one DM (`D…`); `user` is the other person. */
  readonly isIm: boolean
  readonly user?: string | undefined
}

/**
 * Names and ids of people and conversations, fetched from the Web API once and cached for the
 * adapter's life (ids are stable; a renamed channel keeps its id, so a stale name only affects
 * display). Lookups by name page through `users.list` / `conversations.list`. Methods reject with
 * the Web API's errors; `userOrId` / `roomOrId` never reject (inbound messages must not wait on a
 * failing lookup).
 */
export class SlackDirectory {
  private readonly users = new Map<string, ChatUser>()
  private readonly conversations = new Map<string, SlackConversation>()
  private readonly ims = new Map<string, string>()

  constructor(private readonly client: webApi.WebClient) {}

  knownHandle(id: string): string | undefined {
    return this.users.get(id)?.handle
  }

  knownChannelName(id: string): string | undefined {
    const c = this.conversations.get(id)
    return c === undefined || c.isIm ? undefined : c.name
  }

  async user(id: string): Promise<ChatUser> {
    const cached = this.users.get(id)
    if (cached !== undefined) return cached
    const res = await this.client.users.info({ user: id })
    return this.rememberUser(res.user as SlackUserRecord | undefined, id)
  }

  async userOrId(id: string): Promise<ChatUser> {
    try {
      return await this.user(id)
    } catch {
      return { id, displayName: id, handle: id }
    }
  }

  /** A person by handle (`name`) or display name; `undefined` when nobody has it. */
  async userByName(name: string): Promise<ChatUser | undefined> {
    const wanted = name.toLowerCase()
    const match = (u: ChatUser) => u.handle.toLowerCase() === wanted || u.displayName.toLowerCase() === wanted
    for (const u of this.users.values()) if (match(u)) return u
    let cursor: string | undefined
    do {
      const res = await this.client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) })
      for (const m of (res.members ?? []) as SlackUserRecord[]) {
        const u = this.rememberUser(m, m.id ?? "")
        if (m.deleted !== true && match(u)) return u
      }
      cursor = res.response_metadata?.next_cursor || undefined
    } while (cursor !== undefined)
    return undefined
  }

  async conversation(id: string): Promise<SlackConversation> {
    const cached = this.conversations.get(id)
    if (cached !== undefined) return cached
    const res = await this.client.conversations.info({ channel: id })
    return this.rememberConversation(res.channel as SlackConversationRecord | undefined, id)
  }

  async roomOrId(id: string): Promise<ChatRoom> {
    try {
      const c = await this.conversation(id)
      return { id, name: c.name }
    } catch {
      return { id, name: id }
    }
  }

  /** A channel by name (`ops`, without `#`); `undefined` when the bot can see none of that name. */
  async conversationByName(name: string): Promise<SlackConversation | undefined> {
    const wanted = name.toLowerCase()
    for (const c of this.conversations.values()) if (!c.isIm && c.name.toLowerCase() === wanted) return c
    let cursor: string | undefined
    do {
      const res = await this.client.conversations.list({
        limit: 200,
        exclude_archived: true,
        types: "public_channel,private_channel",
        ...(cursor ? { cursor } : {}),
      })
      for (const raw of (res.channels ?? []) as SlackConversationRecord[]) {
        const c = this.rememberConversation(raw, raw.id ?? "")
        if (c.name.toLowerCase() === wanted) return c
      }
      cursor = res.response_metadata?.next_cursor || undefined
    } while (cursor !== undefined)
    return undefined
  }

  /** The DM channel with a person (`conversations.open`), opened once. */
  async imWith(userId: string): Promise<string> {
    const cached = this.ims.get(userId)
    if (cached !== undefined) return cached
    const res = await this.client.conversations.open({ users: userId })
    const id = (res.channel as { id?: string } | undefined)?.id
    if (id === undefined) throw new Error("conversations.open returned no channel")
    this.ims.set(userId, id)
    this.conversations.set(id, { id, name: id, isIm: true, user: userId })
    return id
  }

  private rememberUser(raw: SlackUserRecord | undefined, id: string): ChatUser {
    const handle = raw?.name || id
    const displayName = raw?.profile?.display_name || raw?.profile?.real_name || raw?.real_name || handle
    const user: ChatUser = { id: raw?.id ?? id, displayName, handle }
    this.users.set(user.id, user)
    return user
  }

  private rememberConversation(raw: SlackConversationRecord | undefined, id: string): SlackConversation {
    const c: SlackConversation = {
      id: raw?.id ?? id,
      name: raw?.name ?? raw?.id ?? id,
      isIm: raw?.is_im === true,
      user: raw?.user,
    }
    this.conversations.set(c.id, c)
    if (c.isIm && c.user !== undefined) this.ims.set(c.user, c.id)
    return c
  }
}

interface SlackUserRecord {
  readonly id?: string
  readonly name?: string
  readonly real_name?: string
  readonly deleted?: boolean
  readonly profile?: { readonly display_name?: string; readonly real_name?: string }
}

interface SlackConversationRecord {
  readonly id?: string
  readonly name?: string
  readonly is_im?: boolean
  readonly user?: string
}
