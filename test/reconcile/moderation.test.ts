import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runExport } from '../../src/commands/export.js';
import { ConfigError } from '../../src/core/errors.js';
import { renderPlan } from '../../src/plan/render/index.js';
import { expectConverges, withApp } from '../support/reconcile.js';

/**
 * Moderation policy against the emulator: configs and rules planned, applied, read back and planned again;
 * threshold and action changes shown rule by rule; references to block lists and configs in order; pruned only
 * when their section is in `policy.prune`.
 */

const MODERATION = `
version: 1
blocklists:
  - name: banned-words
    words: [scam, giveaway]
  - name: slurs
    words: [badword]
moderation_configs:
  - key: chat:messaging
    block_list_config:
      enabled: true
      rules:
        - { name: banned-words, action: flag }
        - { name: slurs, action: remove }
    automod_toxicity_config:
      enabled: true
      rules:
        - { label: toxic, threshold: 0.7, action: flag }
        - { label: threat, threshold: 0.5, action: remove }
    llm_config:
      enabled: true
      app_context: A support chat for an online shop
      rules:
        - { label: SCAM, description: Asks for payment outside the shop, action: remove }
moderation_rules:
  - name: repeat-offender
    rule_type: user
    description: Ban users flagged five times in a day
    config_keys: [chat:messaging]
    logic: AND
    conditions:
      - type: user_flag_count
        user_flag_count_rule_params: { threshold: 5, time_window: 24h }
    action: { type: ban_user, reason: repeated violations, ban_options: { duration: 1440 } }
    cooldown_period: 24h
`;

const actions = (plan: { document: { changes: { action: string; address: string }[] } }) => plan.document.changes.map((c) => `${c.action} ${c.address}`);

describe('moderation policy as code', () => {
  it('creates block lists, then the config that names them, then the rule under it, and converges', async () => {
    await withApp(async (h) => {
      const applied = await h.apply(MODERATION);
      expect(applied.result.failed).toEqual([]);
      expect(applied.notConverged).toEqual([]);
      const order = actions(applied.plan);
      const at = (a: string) => order.findIndex((x) => x.endsWith(a));
      expect(at('blocklist/slurs')).toBeLessThan(at('moderation_config/chat:messaging'));
      expect(at('moderation_config/chat:messaging')).toBeLessThan(at('moderation_rule/repeat-offender'));
      expect((await h.plan(MODERATION)).plan.document.changes).toEqual([]);
    });
  });

  it('shows a threshold and an action change rule by rule, readably in Markdown, and keeps what the file does not declare', async () => {
    await withApp(async (h) => {
      await h.apply(MODERATION);
      // Set behind the file's back: an undeclared section, which an upsert of the whole config must keep.
      await h.client.send({ op: 'upsert_config', method: 'POST', path: '/api/v2/moderation/config', body: { ...(await h.plan(MODERATION)).live.objects.get('moderation_config/chat:messaging')!.fields, flood_config: { identical: { enabled: true, threshold: 3 } } }, idempotent: true });
      const edited = MODERATION.replace('{ label: toxic, threshold: 0.7, action: flag }', '{ label: toxic, threshold: 0.8, action: flag }').replace('{ name: banned-words, action: flag }', '{ name: banned-words, action: remove }');
      const { plan } = await h.plan(edited);
      expect(plan.document.changes.map((c) => [c.address, c.fields.map((f) => `${f.path}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`)])).toEqual([
        ['moderation_config/chat:messaging', ['/block_list_config/rules/banned-words/action: "flag" → "remove"', '/automod_toxicity_config/rules/toxic/threshold: 0.7 → 0.8']],
      ]);
      const markdown = renderPlan(plan.document, 'markdown');
      expect(markdown).toContain('<code>/automod&#95;toxicity&#95;config/rules/toxic/threshold</code> | <code>0.7 → 0.8</code>');
      expect(markdown).toContain('<code>"flag" → "remove"</code>');
      h.sent.length = 0;
      expect((await h.apply(edited)).result.failed).toEqual([]);
      const upsert = h.sent.find((r) => r.op === 'upsert_config')!.body as Record<string, unknown>;
      expect(upsert.flood_config).toEqual({ identical: { enabled: true, threshold: 3 } });
      expect((await h.plan(edited)).plan.document.changes).toEqual([]);
    });
  });

  it('removes a rule the file no longer lists, and says so', async () => {
    await withApp(async (h) => {
      await h.apply(MODERATION);
      const edited = MODERATION.replace('        - { label: threat, threshold: 0.5, action: remove }\n', '');
      const { plan } = await h.plan(edited);
      expect(plan.document.changes[0]!.fields).toEqual([{ path: '/automod_toxicity_config/rules/threat', before: { label: 'threat', threshold: 0.5, action: 'remove' }, after: null, sensitive: false }]);
      expect((await h.apply(edited)).result.failed).toEqual([]);
      expect((await h.plan(edited)).plan.document.changes).toEqual([]);
    });
  });

  it('keeps the same key in two teams apart: each is its own address, written with its own team', async () => {
    await withApp(async (h) => {
      const yaml = (threshold: number) => `version: 1
moderation_configs:
  - key: chat:messaging
    automod_toxicity_config: { rules: [{ label: toxic, threshold: ${threshold}, action: flag }] }
  - key: chat:messaging
    team: blue
    automod_toxicity_config: { rules: [{ label: toxic, threshold: 0.5, action: remove }] }
moderation_rules:
  - name: escalate
    team: blue
    rule_type: user
    config_keys: [chat:messaging]
    action: { type: flag_user }
`;
      const applied = await h.apply(yaml(0.7));
      expect(applied.result.failed).toEqual([]);
      expect(actions(applied.plan).sort()).toEqual(['create moderation_config/blue/chat:messaging', 'create moderation_config/chat:messaging', 'create moderation_rule/blue/escalate']);
      expect((await h.plan(yaml(0.7))).plan.document.changes).toEqual([]);
      h.sent.length = 0;
      expect((await h.apply(yaml(0.9))).result.failed).toEqual([]);
      const upserts = h.sent.filter((r) => r.op === 'upsert_config').map((r) => r.body as Record<string, unknown>);
      expect(upserts).toHaveLength(1);
      expect(upserts[0]).not.toHaveProperty('team');
      expect((await h.plan(yaml(0.9))).plan.document.changes).toEqual([]);
    });
  });

  it('switching a rule from conditions to groups, or its action to another type, leaves nothing of the old form in force', async () => {
    await withApp(async (h) => {
      await h.apply(MODERATION);
      const edited = MODERATION.replace(
        '    conditions:\n      - type: user_flag_count\n        user_flag_count_rule_params: { threshold: 5, time_window: 24h }\n',
        '    groups:\n      - logic: OR\n        conditions: [{ type: user_flag_count, user_flag_count_rule_params: { threshold: 3, time_window: 24h } }]\n',
      ).replace('action: { type: ban_user, reason: repeated violations, ban_options: { duration: 1440 } }', 'action: { type: flag_user }');
      const { plan } = await h.plan(edited);
      expect(plan.document.changes.flatMap((c) => c.fields.map((f) => f.path)).sort()).toEqual(['/action', '/conditions', '/groups']);
      expect((await h.apply(edited)).result.failed).toEqual([]);
      const live = (await h.plan(edited)).live.objects.get('moderation_rule/repeat-offender')!.fields;
      expect(live.conditions).toEqual([]);
      expect(live.action).toEqual({ type: 'flag_user' });
      expect((await h.plan(edited)).plan.document.changes).toEqual([]);
    });
  });

  it('refuses, before any write, a config naming a block list and a rule naming a config that neither the file nor the app has', async () => {
    await withApp(async (h) => {
      const yaml = `version: 1
moderation_configs:
  - key: chat:livestream
    block_list_config:
      rules: [{ name: no-such-list, action: flag }]
moderation_rules:
  - name: r
    rule_type: content
    config_keys: [chat:livestream, chat:nowhere]
    action: { type: flag_content }
`;
      const err = await h.plan(yaml).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const messages = (err as ConfigError).issues.map((i) => i.message).join('\n');
      expect(messages).toContain('blocklist/no-such-list');
      expect(messages).toContain('moderation_config/chat:nowhere');
      expect(messages).not.toContain('moderation_config/chat:livestream,');
      expect(h.sent.filter((r) => r.method !== 'GET' && !r.op.startsWith('query_'))).toEqual([]);
    });
  });

  it('deletes undeclared rules and configs only with their sections in policy.prune, rules first, and block lists after the configs let go of them', async () => {
    await withApp(async (h) => {
      await h.apply(MODERATION);
      const kept = 'version: 1\nblocklists:\n  - name: banned-words\n    words: [scam, giveaway]\nmoderation_configs: []\nmoderation_rules: []\n';
      expect(actions((await h.plan(kept)).plan)).toEqual([]);
      const pruning = `${kept}policy:\n  prune: [moderation_configs, moderation_rules, blocklists]\n`;
      const applied = await h.apply(pruning, { allowDeletes: 10 });
      expect(applied.result.failed).toEqual([]);
      const order = actions(applied.plan);
      expect(order.sort()).toEqual(['delete blocklist/slurs', 'delete moderation_config/chat:messaging', 'delete moderation_rule/repeat-offender']);
      const ran = applied.plan.levels.flat().map((c) => c.address);
      expect(ran.indexOf('moderation_rule/repeat-offender')).toBeLessThan(ran.indexOf('moderation_config/chat:messaging'));
      expect(ran.indexOf('moderation_config/chat:messaging')).toBeLessThan(ran.indexOf('blocklist/slurs'));
      expect((await h.plan(pruning)).plan.document.changes).toEqual([]);
    });
  });
});

describe('export of moderation policy', () => {
  it('writes configs and rules (no rule id) that plan nothing when read back', async () => {
    await withApp(async (h) => {
      await h.apply(MODERATION);
      let text = '';
      const out = { stdout: (t: string) => (text += t), stderr: () => {}, color: false };
      await runExport({ kinds: ['moderation_configs', 'moderation_rules', 'blocklists'] }, { deps: h.deps, client: h.client }, out);
      expect(text).toContain('key: chat:messaging');
      expect(text).toContain('name: repeat-offender');
      expect(text).not.toMatch(/\n\s+id: /);
      expect((await h.plan(text)).plan.document.changes).toEqual([]);
    });
  });
});

const LABELS = ['toxic', 'threat', 'insult'];
const moderationState = fc
  .record({
    configs: fc.subarray(['chat:messaging', 'chat:support']),
    prune: fc.subarray(['moderation_configs', 'moderation_rules']),
    ruled: fc.boolean(),
  })
  .chain((s) =>
    fc.record({
      shape: fc.constant(s),
      rules: fc.tuple(...s.configs.map(() => fc.subarray(LABELS))),
      thresholds: fc.tuple(...s.configs.map(() => fc.constantFrom(0.5, 0.7, 0.9))),
      action: fc.tuple(...s.configs.map(() => fc.constantFrom('flag', 'remove', 'shadow'))),
      listed: fc.tuple(...s.configs.map(() => fc.boolean())),
    }),
  )
  .map(({ shape, rules, thresholds, action, listed }) => {
    const doc: Record<string, unknown> = { version: 1, blocklists: [{ name: 'words', words: ['scam'] }] };
    doc.moderation_configs = shape.configs.map((key, i) => ({
      key,
      automod_toxicity_config: { enabled: true, rules: rules[i]!.map((label) => ({ label, threshold: thresholds[i], action: action[i] })) },
      ...(listed[i] ? { block_list_config: { enabled: true, rules: [{ name: 'words', action: action[i] === 'shadow' ? 'flag' : action[i] }] } } : {}),
    }));
    doc.moderation_rules = shape.ruled && shape.configs.length ? [{ name: 'escalate', rule_type: 'user', config_keys: [shape.configs[0]], action: { type: 'flag_user' } }] : [];
    if (shape.prune.length) doc.policy = { prune: shape.prune };
    return { yaml: stringify(doc), doc };
  });

type ModerationDoc = { moderation_configs: { key: string }[]; moderation_rules: { name: string; config_keys: string[] }[]; policy?: { prune?: string[] } };

/**
 * The API refuses to delete a config a rule still names: pruning configs while an earlier rule that the target
 * neither redeclares nor prunes still names one cannot converge (as for commands a channel type names).
 */
function convergible(before: ModerationDoc, target: ModerationDoc): boolean {
  const prune = target.policy?.prune ?? [];
  if (!prune.includes('moderation_configs') || prune.includes('moderation_rules')) return true;
  const kept = new Set(target.moderation_configs.map((c) => c.key));
  const redeclared = new Set(target.moderation_rules.map((r) => r.name));
  return before.moderation_rules.every((r) => redeclared.has(r.name) || r.config_keys.every((k) => kept.has(k)));
}

describe('moderation properties over generated desired states', () => {
  it('apply then plan is empty; nothing is deleted outside policy.prune', async () => {
    await fc.assert(
      fc.asyncProperty(moderationState, moderationState, async (before, target) => {
        fc.pre(convergible(before.doc as ModerationDoc, target.doc as ModerationDoc));
        await expectConverges(before, target, { sectionOf: { moderation_config: 'moderation_configs', moderation_rule: 'moderation_rules', blocklist: 'blocklists' } });
      }),
      { numRuns: 15 },
    );
  });
});
