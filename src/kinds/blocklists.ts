import { z } from 'zod';
import type { LiveObject, Rec } from '../core/model.js';
import { addressPart, changedTopLevel, defineKind, getOrUndefined, liveObject, noDuplicates, paginate, pick } from './define.js';
import type { Api } from '../core/api.js';

/** Every app has this list; nothing marks it as built-in, so the name does. */
export const BUILTIN_BLOCKLIST = 'profanity_en_2020_v1';
const FLAGS = ['is_leet_check_enabled', 'is_plural_check_enabled', 'is_confusable_folding_enabled', 'is_substring_matching_enabled'] as const;
const FIELDS = ['name', 'type', 'words', 'team', ...FLAGS] as const;

export const blocklistSchema = z
  .object({
    name: addressPart('a block list name', 255).describe('Identity: the block list\'s name (`blocklist/<name>`).'),
    type: z.enum(['word', 'regex', 'domain', 'domain_allowlist', 'email', 'email_allowlist']).optional().describe('What the list matches: word (default), regex, domain, domain_allowlist, email or email_allowlist; cannot change after creation.'),
    words: z
      .array(z.string().min(1).refine((w) => w.length <= 40 || [...w].length <= 40, 'a block list word must be at most 40 characters'))
      .max(10_000, 'a block list holds at most 10,000 words')
      .superRefine(noDuplicates('words'))
      .describe('The words, patterns, domains or emails of the list (a set, at most 10,000); words of a word list are compared without case.'),
    team: z.string().optional().describe('The team the list belongs to (multi-tenant apps); absent: app-wide.'),
    is_leet_check_enabled: z.boolean().optional().describe('Whether leetspeak variants (e.g. 5c4m for scam) are matched too.'),
    is_plural_check_enabled: z.boolean().optional().describe('Whether plural forms of the words are matched too.'),
    is_confusable_folding_enabled: z.boolean().optional().describe('Whether look-alike characters (e.g. Cyrillic letters that look Latin) are folded before matching.'),
    is_substring_matching_enabled: z.boolean().optional().describe('Whether a word also matches inside longer words.'),
  })
  .strict();

const address = (name: unknown) => `blocklist/${String(name)}`;

function toLive(b: Rec): LiveObject {
  return liveObject('blocklist', address(b.name), pick(b, FIELDS), b.name === BUILTIN_BLOCKLIST);
}

/** Every block list, page by page (`next_cursor`). */
const listAll = (api: Api) =>
  paginate<{ blocklists: Rec[]; next_cursor?: string }>(
    api,
    (cursor) => ({ op: 'ListBlockLists', method: 'GET', path: '/api/v2/blocklists', query: { limit: 200, cursor }, idempotent: true }),
    (res) => ({ items: res.blocklists, next: res.next_cursor }),
  );

/** Block lists: identity by name; words are a set; the type cannot change after creation. */
export const blocklistKind = defineKind({
  kind: 'blocklist',
  section: 'blocklists',
  schema: z.array(blocklistSchema),
  setFields: ['/words'],
  // Stream matches the words of a `word` list whatever their case: `Scam` and `scam` are the same word.
  caseInsensitiveFields: (fields) => ((fields.type ?? 'word') === 'word' ? ['/words'] : []),
  identityFields: ['name'],
  immutableFields: ['/type'],
  isBuiltin: (live) => live.builtin === true,
  builtins: [`blocklist/${BUILTIN_BLOCKLIST}`],
  // "15 block lists in total": the built-in list counts.
  quota: { max: 15, builtinsCount: true, what: 'block lists' },
  async fetch(api) {
    return (await listAll(api)).map(toLive);
  },
  requests({ action, desired, live, fields }) {
    const name = String((desired ?? live)!.fields.name);
    // A list is found by name and team: the team goes with every request that names a list.
    const team = (desired?.fields.team ?? live?.fields.team) as string | undefined;
    if (action === 'delete') return [{ op: 'DeleteBlockList', method: 'DELETE', path: '/api/v2/blocklists/{name}', params: { name }, query: { team }, idempotent: true }];
    if (action === 'create') return [{ op: 'CreateBlockList', method: 'POST', path: '/api/v2/blocklists', body: desired!.fields, idempotent: false }];
    const body = { ...pick(desired!.fields, changedTopLevel(fields)), ...(team === undefined ? {} : { team }) };
    return [{ op: 'UpdateBlockList', method: 'PUT', path: '/api/v2/blocklists/{name}', params: { name }, body, idempotent: true }];
  },
  async reread(api, desired) {
    const name = String(desired.fields.name);
    const res = await getOrUndefined<{ blocklist?: Rec }>(api, { op: 'GetBlockList', method: 'GET', path: '/api/v2/blocklists/{name}', params: { name }, query: { team: desired.fields.team as string | undefined }, idempotent: true });
    return res?.blocklist ? toLive(res.blocklist) : undefined;
  },
  toFile: (live) => live.fields,
});
