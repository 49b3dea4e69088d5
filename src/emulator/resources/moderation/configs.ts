import { z } from 'zod';
import { inputError, orNotFound } from '../../errors.js';
import { mapSlice, type Resource } from '../../resource.js';
import { route, type RequestContext } from '../../router.js';
import type { AppState, Rec } from '../../store.js';
import { nowIso, parseInput } from '../../validate.js';
import { findByName } from '../blocklists.js';
import { runQuery, type Queryable } from '../poll-query.js';
import { VIDEO_CALL_HARM_TYPES } from './labels.js';
import { configSections } from './schemas.js';

declare module '../../store.js' {
  interface AppState {
    /** configKey(team, key) → ConfigResponse (read shape). */
    moderationConfigs: Map<string, Rec>;
  }
}

/**
 * Moderation configs (`/api/v2/moderation/config`, `/configs`): identity is `key` plus `team` (`""` when none), as
 * GetConfig and DeleteConfig address them (`?team=`).
 *
 * - UpsertConfig creates the config or replaces it whole: the sections sent are the config, a section left out is
 *   gone, `async` falls back to false; `created_at` survives. Stream's docs say only "create … or update"; a whole
 *   replacement is what a client sending its complete config expects, and such a client works either way.
 * - Every `block_list_config.rules[].name` must name a block list of the app (the rule's `team`, else the config's,
 *   else one without a team): 400/4 `block_list_config.rules[0].name: block list "x" does not exist`.
 * - A config named by a moderation rule's `config_keys` cannot be deleted (400/4), the emulator's choice: the rule
 *   would silently apply to nothing.
 */

const sectionNames = Object.keys(configSections) as (keyof typeof configSections)[];
const upsertSchema = z.object({
  key: z.string().min(1).max(255),
  team: z.string().optional(),
  async: z.boolean().optional(),
  user_id: z.string().optional(),
  user: z.object({ id: z.string() }).optional(),
  ...Object.fromEntries(sectionNames.map((s) => [s, configSections[s].optional()])),
} as { key: z.ZodString } & Record<string, z.ZodType>);

export const configKey = (team: string, key: string) => JSON.stringify([team, key]);

const teamParam = (ctx: RequestContext) => ctx.query.get('team') ?? '';

const findConfig = (ctx: RequestContext) => {
  const team = teamParam(ctx);
  const key = ctx.params.key!;
  return orNotFound(ctx.app.moderationConfigs.get(configKey(team, key)), `moderation config "${key}"${team ? ` (team "${team}")` : ''} does not exist`);
};

function checkBlockLists(app: AppState, config: Rec): void {
  const rules = (config.block_list_config?.rules ?? []) as Rec[];
  rules.forEach((rule, i) => {
    const teams = [...new Set([rule.team, config.team || undefined, undefined])];
    if (teams.some((team) => findByName(app, rule.name, team))) return;
    const field = `block_list_config.rules[${i}].name`;
    throw inputError(`${field}: block list "${rule.name}" does not exist`, { [field]: `block list "${rule.name}" does not exist` });
  });
}

const upsertConfig = route('POST', '/api/v2/moderation/config', 'upsert_config', ({ app, body, now }) => {
  const input = parseInput(upsertSchema, body) as Rec;
  const team = (input.team as string | undefined) ?? '';
  const id = configKey(team, input.key);
  const at = nowIso(now);
  const config: Rec = { key: input.key, team, async: input.async ?? false };
  for (const s of sectionNames) if (input[s] !== undefined) config[s] = input[s];
  // The response's audio section requires `enabled`, which the request does not carry: sending one enables it.
  if (config.ai_audio_config) config.ai_audio_config = { enabled: true, profile: '', rules: [], ...config.ai_audio_config };
  checkBlockLists(app, config);
  config.created_at = app.moderationConfigs.get(id)?.created_at ?? at;
  config.updated_at = at;
  config.supported_video_call_harm_types = [...VIDEO_CALL_HARM_TYPES];
  app.moderationConfigs.set(id, config);
  return { config };
});

const getConfig = route('GET', '/api/v2/moderation/config/{key}', 'get_config', (ctx) => ({ config: findConfig(ctx) }));

const deleteConfig = route('DELETE', '/api/v2/moderation/config/{key}', 'delete_config', (ctx) => {
  const config = findConfig(ctx);
  const users = [...ctx.app.moderationRules.values()]
    .filter((r) => r.team === config.team && (r.config_keys as string[]).includes(config.key))
    .map((r) => `"${r.name}"`)
    .sort();
  if (users.length) throw inputError(`moderation config "${config.key}" is used by moderation rule(s) ${users.join(', ')}: remove it from their config_keys first`);
  ctx.app.moderationConfigs.delete(configKey(config.team, config.key));
  return {};
});

const CMP = ['$eq', '$exists', '$gt', '$gte', '$in', '$lt', '$lte'];
/** The spec's `x-stream-filter-fields` of QueryModerationConfigsRequest. */
const CONFIG_QUERY: Queryable = {
  fields: {
    key: { type: 'string', ops: [...CMP, '$autocomplete'] },
    team: { type: 'string', ops: CMP },
    created_at: { type: 'date', ops: CMP },
    updated_at: { type: 'date', ops: CMP },
  },
  sortFields: ['key', 'team', 'created_at', 'updated_at'],
  tiebreak: ['key', 'team'],
};

const queryConfigs = route('POST', '/api/v2/moderation/configs', 'query_moderation_configs', ({ app, body }) => {
  const { page, next, prev } = runQuery(CONFIG_QUERY, [...app.moderationConfigs.values()], body);
  return { configs: page, ...(next && { next }), ...(prev && { prev }) };
});

export const moderationConfigs: Resource = {
  name: 'moderation configs',
  state: { moderationConfigs: mapSlice() },
  routes: [upsertConfig, getConfig, deleteConfig, queryConfigs],
};
