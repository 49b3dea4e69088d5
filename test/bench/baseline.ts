import { readFileSync } from 'node:fs';
import { StreamClient } from '@stream-io/node-sdk';
import { parse } from 'yaml';
import { UPDATE_ONLY } from '../../src/kinds/chat/channel-type-schema.js';
import { type ChannelType, createsInTwo } from './workload.js';

/**
 * The baseline: what a user writes by hand with the official `@stream-io/node-sdk` instead of stream-sync. It reads
 * the YAML, gets each object, creates or updates it, one call at a time, and waits and retries when rate limited
 * (the SDK itself never retries). No diffing and no deletes: it is the "script in a repo" stream-sync replaces.
 * Kinds without a get-one endpoint (roles, push providers, external storages) are listed once, and so are chat
 * commands and channel types (one list answers them all) and moderation configs and rules (one query each); upserts
 * are sent as they are.
 *
 * Run as a child process: `node baseline.js FILE` with STREAM_API_KEY, STREAM_API_SECRET and STREAM_BASE_URL; it
 * prints `{"wall_ms": …, "retries": …}` (its 429s) on its last line. The emulator counts its requests.
 */
type Rec = Record<string, any>;

interface SdkError {
  metadata?: { responseCode?: number; rateLimit?: { rateLimitReset?: Date } };
}

const status = (err: unknown) => (err as SdkError).metadata?.responseCode;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let retries = 0;

/** One call; on 429 waits until the window resets (the header the SDK exposes), then tries again. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (status(err) !== 429) throw err;
      retries++;
      const reset = (err as SdkError).metadata?.rateLimit?.rateLimitReset?.getTime();
      await sleep(reset ? Math.max(50, reset - Date.now() + 20) : 1000);
    }
  }
}

/** The object, or undefined on 404. */
async function get<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call(fn);
  } catch (err) {
    if (status(err) === 404) return undefined;
    throw err;
  }
}

async function main(file: string): Promise<void> {
  const started = performance.now();
  const doc = parse(readFileSync(file, 'utf8')) as Rec;
  const client = new StreamClient(process.env.STREAM_API_KEY!, process.env.STREAM_API_SECRET!, { basePath: process.env.STREAM_BASE_URL!, timeout: 60_000 });

  const roles = new Set(((await call(() => client.listRoles())).roles as Rec[]).map((r) => r.name));
  for (const role of (doc.roles ?? []) as Rec[]) if (!roles.has(role.name)) await call(() => client.createRole({ name: role.name }));

  if (doc.app?.settings) await call(() => client.updateApp(doc.app.settings));

  for (const list of (doc.blocklists ?? []) as Rec[]) {
    const found = await get(() => client.getBlockList({ name: list.name }));
    if (found) await call(() => client.updateBlockList({ name: list.name, words: list.words }));
    else await call(() => client.createBlockList({ name: list.name, type: list.type, words: list.words } as any));
  }

  await call(() => client.listPushProviders());
  for (const provider of (doc.push_providers ?? []) as Rec[]) {
    const { templates = [], ...fields } = provider;
    await call(() => client.upsertPushProvider({ push_provider: fields as any }));
    await call(() => client.getPushTemplates({ push_provider_type: provider.type, push_provider_name: provider.name }));
    for (const t of templates as Rec[]) {
      await call(() => client.upsertPushTemplate({ push_provider_type: provider.type, push_provider_name: provider.name, ...t } as any));
    }
  }

  const storages = (await call(() => client.listExternalStorage())).external_storages ?? {};
  for (const s of (doc.external_storages ?? []) as Rec[]) {
    if (storages[s.name]) await call(() => client.updateExternalStorage(s as any));
    else await call(() => client.createExternalStorage(s as any));
  }

  const callTypes = (await call(() => client.video.listCallTypes())).call_types ?? {};
  for (const t of (doc.call_types ?? []) as Rec[]) {
    if (callTypes[t.name]) await call(() => client.video.updateCallType(t as any));
    else await call(() => client.video.createCallType(t as any));
  }

  const commands = new Set(((await call(() => client.chat.listCommands())).commands ?? []).map((c) => c.name));
  for (const c of (doc.commands ?? []) as Rec[]) {
    if (commands.has(c.name)) await call(() => client.chat.updateCommand(c as any));
    else await call(() => client.chat.createCommand(c as any));
  }

  // UpdateChannelType requires max_message_length (every channel type of the file declares it), automod and
  // automod_behavior on every call; CreateChannelType takes neither the update-only fields nor shadow_block, which an
  // update right after the create sets.
  const channelTypes = (await call(() => client.chat.listChannelTypes())).channel_types ?? {};
  for (const t of (doc.channel_types ?? []) as ChannelType[]) {
    const have = channelTypes[t.name];
    const full: Rec = { automod: have?.automod ?? 'disabled', automod_behavior: have?.automod_behavior ?? 'flag', ...t };
    if (!have) {
      const create: Rec = { ...full, automod_behavior: full.automod_behavior === 'shadow_block' ? 'flag' : full.automod_behavior };
      for (const k of UPDATE_ONLY) delete create[k];
      await call(() => client.chat.createChannelType(create as any));
    }
    if (have || createsInTwo(t)) await call(() => client.chat.updateChannelType(full as any));
  }

  // Moderation: block lists (above) before the configs that name them, configs before the rules that name them. Both
  // upserts create or replace, so one query of each kind stands for the reads.
  await call(() => client.moderation.queryModerationConfigs({ limit: 100 }));
  for (const c of (doc.moderation_configs ?? []) as Rec[]) await call(() => client.moderation.upsertConfig(c as any));
  await call(() => client.moderation.queryModerationRules({ limit: 100 }));
  for (const r of (doc.moderation_rules ?? []) as Rec[]) await call(() => client.moderation.upsertModerationRule(r as any));

  for (const user of (doc.users ?? []) as Rec[]) {
    await call(() => client.queryUsers({ payload: { filter_conditions: { id: user.id } } }));
    await call(() => client.updateUsers({ users: { [user.id]: user as any } }));
  }

  for (const group of (doc.user_groups ?? []) as Rec[]) {
    const { members = [], ...fields } = group;
    const found = await get(() => client.getUserGroup({ id: group.id }));
    if (!found) await call(() => client.createUserGroup({ ...fields, member_ids: members } as any));
    else {
      await call(() => client.updateUserGroup({ id: group.id, name: fields.name, description: fields.description }));
      if (members.length) await call(() => client.addUserGroupMembers({ id: group.id, member_ids: members }));
    }
  }

  process.stdout.write(`${JSON.stringify({ wall_ms: performance.now() - started, retries })}\n`);
}

main(process.argv[2]!).catch((err: unknown) => {
  process.stderr.write(`baseline failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
