import { z } from 'zod';
import type { Api } from '../../core/api.js';
import type { LiveObject, Rec } from '../../core/model.js';
import type { RefAt } from '../../plan/facets.js';
import { defineKind, getOrUndefined, isRecord, liveObject, overlay, paginate, pick } from '../define.js';
import { CONFIG_FIELDS, KEYED_RULES, moderationConfigSchema, SECTION_KEYS } from './config-schema.js';

/** QueryModerationConfigs' and QueryModerationRules' page size (the spec's maximum). */
export const MODERATION_PAGE = 100;

/**
 * A config's address: `moderation_config/<key>`, or `moderation_config/<team>/<key>` for a team's config (Stream
 * keys configs by key and team: two teams may each have `chat:messaging`).
 */
export const configAddress = (key: unknown, team?: unknown) => (team ? `moderation_config/${String(team)}/${String(key)}` : `moderation_config/${String(key)}`);

/**
 * A ConfigResponse in the file's shape: the sections UpsertConfig takes, each with only the keys it takes (the
 * answer adds read-only ones), timestamps dropped, no team as absent.
 */
export function moderationConfigLive(c: Rec): LiveObject {
  const fields = pick(c, CONFIG_FIELDS);
  for (const [section, keys] of Object.entries(SECTION_KEYS)) if (isRecord(fields[section])) fields[section] = pick(fields[section] as Rec, keys);
  if (!fields.team) delete fields.team;
  return liveObject('moderation_config', configAddress(c.key, fields.team), fields);
}

/** Every config of the app, page by page. */
export const queryConfigs = (api: Api) =>
  paginate<{ configs?: Rec[]; next?: string }>(
    api,
    (next) => ({ op: 'query_moderation_configs', method: 'POST', path: '/api/v2/moderation/configs', body: next ? { limit: MODERATION_PAGE, next } : { limit: MODERATION_PAGE }, idempotent: true }),
    (res) => ({ items: res.configs ?? [], next: res.next }),
  );

/** The block lists a config's block-list rules name, each at its line. */
function refsAt(fields: Rec): RefAt[] {
  const rules = ((fields.block_list_config as Rec | undefined)?.rules as Rec[] | undefined) ?? [];
  return rules.map((r, i) => ({ ref: `blocklist/${String(r.name)}`, path: ['block_list_config', 'rules', String(i), 'name'] }));
}

/**
 * Moderation configs (`moderation_config/<key>`): which checks run on content under a key (`chat:messaging`, a
 * channel type, or a key of your own) and the action per label, threshold or block list. Only what the file
 * declares is managed; rule lists are compared rule by rule (`/automod_toxicity_config/rules/toxic/threshold`).
 * UpsertConfig replaces a whole config, so every write sends the file's sections over what the app has.
 */
export const moderationConfigKind = defineKind({
  kind: 'moderation_config',
  section: 'moderation_configs',
  schema: z
    .array(moderationConfigSchema)
    .describe('Moderation configs, one per item (addressed `moderation_config/<key>`, or `moderation_config/<team>/<key>` for a team); undeclared ones are deleted only when `policy.prune` lists this section.'),
  identityFields: ['team', 'key'],
  address: (fields) => configAddress(fields.key, fields.team),
  // Block lists exist before a config names them, and are let go of before they are deleted.
  dependsOn: ['blocklist'],
  releases: ['blocklist'],
  refs: (fields) => refsAt(fields).map((r) => r.ref),
  refsAt,
  keyedLists: KEYED_RULES,
  setFields: ['/flood_config/allowlist', '/video_call_rule_config/flagged_labels'],
  async fetch(api) {
    return (await queryConfigs(api)).map(moderationConfigLive);
  },
  requests({ action, desired, live }) {
    const key = String((desired ?? live)!.fields.key);
    const team = ((desired ?? live)!.fields.team as string | undefined) || undefined;
    if (action === 'delete') return [{ op: 'delete_config', method: 'DELETE', path: '/api/v2/moderation/config/{key}', params: { key }, query: { team }, idempotent: true }];
    // Sections and keys the file does not declare are kept as the app has them; lists (rule lists among them) are the
    // file's, each rule as declared (the plan shows what of the app's rules goes).
    const body = action === 'create' ? desired!.fields : (overlay(live!.fields, desired!.fields) as Rec);
    return [{ op: 'upsert_config', method: 'POST', path: '/api/v2/moderation/config', body, idempotent: true }];
  },
  async reread(api, desired) {
    const res = await getOrUndefined<{ config?: Rec }>(api, { op: 'get_config', method: 'GET', path: '/api/v2/moderation/config/{key}', params: { key: String(desired.fields.key) }, query: { team: (desired.fields.team as string | undefined) || undefined }, idempotent: true });
    return res?.config ? moderationConfigLive(res.config) : undefined;
  },
  toFile: (live) => live.fields,
});
