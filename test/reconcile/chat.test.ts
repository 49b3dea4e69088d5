import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runExport } from '../../src/commands/export.js';
import { ConfigError } from '../../src/core/errors.js';
import { expectConverges, withApp } from '../support/reconcile.js';

/**
 * Chat configuration against the emulator: channel types and custom commands planned, applied, read back and
 * planned again; references to commands, block lists and roles in order; pruned only when their section is in
 * `policy.prune`, built-ins never.
 */

const CHAT = `
version: 1
roles:
  - name: support-agent
blocklists:
  - name: support-words
    words: [refund scam, chargeback]
commands:
  - name: ticket
    description: Open a support ticket
    args: "[summary]"
    set: support_set
channel_types:
  - name: support
    typing_events: true
    read_events: true
    uploads: true
    replies: true
    quotes: true
    max_message_length: 2000
    automod: simple
    automod_behavior: flag
    blocklist: support-words
    blocklist_behavior: block
    commands: [ticket, giphy]
    grants:
      support-agent: [read-channel, create-message, update-message-owner, upload-attachment]
  - name: livestream
    reactions: true
    url_enrichment: false
    grants:
      channel_moderator: [read-channel, create-message, skip-channel-cooldown, ban-channel-member]
`;

const actionsOf = (h: { plan: { document: { changes: { action: string; address: string }[] } } }) => h.plan.document.changes.map((c) => `${c.action} ${c.address}`);

describe('chat configuration as code', () => {
  it('creates the command, block list and role before the channel type that names them, updates a built-in type, and converges', async () => {
    await withApp(async (h) => {
      const applied = await h.apply(CHAT);
      expect(applied.result.failed).toEqual([]);
      expect(applied.notConverged).toEqual([]);
      const actions = actionsOf(applied);
      expect(actions).toEqual(expect.arrayContaining(['create command/ticket', 'create channel_type/support', 'update channel_type/livestream']));
      const order = (a: string) => actions.findIndex((x) => x.endsWith(a));
      for (const dep of ['command/ticket', 'blocklist/support-words', 'role/support-agent']) expect(order(dep)).toBeLessThan(order('channel_type/support'));
      expect((await h.plan(CHAT)).plan.document.changes).toEqual([]);
      const live = (await h.plan(CHAT)).live.objects.get('channel_type/support')!;
      // quotes is not taken by CreateChannelType: the update that follows the create set it.
      expect(live.fields).toMatchObject({ quotes: true, commands: expect.arrayContaining(['ticket', 'giphy']), blocklist: 'support-words', max_message_length: 2000 });
    });
  });

  it('updates one field and one role, sending the fields UpdateChannelType requires as the app has them', async () => {
    await withApp(async (h) => {
      await h.apply(CHAT);
      const edited = CHAT.replace('    reactions: true\n', '    reactions: false\n').replace('skip-channel-cooldown, ban-channel-member', 'skip-channel-cooldown');
      const { plan } = await h.plan(edited);
      expect(plan.document.changes.map((c) => [c.address, c.fields.map((f) => f.path)])).toEqual([['channel_type/livestream', ['/reactions', '/grants/channel_moderator']]]);
      h.sent.length = 0;
      expect((await h.apply(edited)).result.failed).toEqual([]);
      const update = h.sent.find((r) => r.op === 'UpdateChannelType')!;
      expect(update.body).toEqual({
        reactions: false,
        grants: { channel_moderator: ['read-channel', 'create-message', 'skip-channel-cooldown'] },
        // Not declared for livestream: sent as the app has them, because the API requires them.
        max_message_length: 5000,
        automod: 'disabled',
        automod_behavior: 'flag',
      });
      expect((await h.plan(edited)).plan.document.changes).toEqual([]);
      // The roles the file does not list keep their grants.
      const live = (await h.plan(edited)).live.objects.get('channel_type/livestream')!;
      expect(Object.keys(live.fields.grants as object).length).toBeGreaterThan(1);
    });
  });

  it('sets shadow_block, which CreateChannelType does not take, through the update that follows the create', async () => {
    await withApp(async (h) => {
      const yaml = 'version: 1\nchannel_types:\n  - name: quiet\n    automod: AI\n    automod_behavior: shadow_block\n    automod_thresholds: { toxic: { flag: 0.6, block: 0.9 } }\n';
      const applied = await h.apply(yaml);
      expect(applied.result.failed).toEqual([]);
      expect(h.sent.filter((r) => r.op.endsWith('ChannelType')).map((r) => r.op)).toEqual(['CreateChannelType', 'UpdateChannelType']);
      expect((await h.plan(yaml)).plan.document.changes).toEqual([]);
    });
  });

  it('converges on commands: [all], which Stream reads back as every command, and on a partition size under 10', async () => {
    await withApp(async (h) => {
      const yaml = 'version: 1\ncommands:\n  - name: ticket\n    description: Open\nchannel_types:\n  - name: open\n    commands: [all]\n    partition_size: 0\n';
      const applied = await h.apply(yaml);
      expect(applied.result.failed).toEqual([]);
      expect(applied.notConverged).toEqual([]);
      expect((await h.plan(yaml)).plan.document.changes).toEqual([]);
      // A command added later is covered by "all" too: nothing to change.
      const more = yaml.replace('    description: Open\n', '    description: Open\n  - name: order\n    description: Track\n');
      expect((await h.apply(more)).result.failed).toEqual([]);
      expect((await h.plan(more)).plan.document.changes).toEqual([]);
    });
  });

  it('refuses, before any write, a channel type naming a command, block list, role or permission that neither the file nor the app has', async () => {
    await withApp(async (h) => {
      const yaml = `version: 1
commands: []
blocklists: []
roles: []
channel_types:
  - name: broken
    commands: [giphy, tickt]
    blocklist: no-such-list
    grants:
      ghost-role: [read-channel]
      channel_member: [read-channel, fly-to-the-moon]
`;
      h.sent.length = 0;
      const err = await h.plan(yaml).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const messages = (err as ConfigError).issues.map((i) => i.message).join('\n');
      expect(messages).toContain('command/tickt');
      expect(messages).toContain('blocklist/no-such-list');
      expect(messages).toContain('role/ghost-role');
      expect(messages).toContain('fly-to-the-moon');
      expect(messages).not.toContain('command/giphy');
      expect(h.sent.filter((r) => r.method !== 'GET')).toEqual([]);
    });
  });

  it('deletes undeclared channel types and commands only with their sections in policy.prune, channel types first, never a built-in', async () => {
    await withApp(async (h) => {
      await h.apply(CHAT);
      const empty = 'version: 1\ncommands: []\nchannel_types: []\n';
      expect((await h.plan(empty)).plan.document.changes).toEqual([]);
      const pruning = `${empty}policy:\n  prune: [commands, channel_types]\n`;
      const { plan } = await h.plan(pruning);
      expect(actionsOf({ plan }).sort()).toEqual(['delete channel_type/support', 'delete command/ticket']);
      // What goes is listed: a reviewer sees the type's commands and limits.
      expect(plan.document.changes.find((c) => c.address === 'channel_type/support')!.fields).toContainEqual({ path: '/max_message_length', before: 2000, after: null, sensitive: false });
      const applied = await h.apply(pruning, { allowDeletes: 10 });
      expect(applied.result.failed).toEqual([]);
      const order = applied.plan.document.changes.map((c) => c.address);
      // The API refuses to delete a command a channel type names: the type goes first.
      expect(order.indexOf('channel_type/support')).toBeLessThan(order.indexOf('command/ticket'));
      expect((await h.plan(pruning)).plan.document.changes).toEqual([]);
    });
  });

  it('releases a command from a kept channel type before deleting it', async () => {
    await withApp(async (h) => {
      await h.apply(CHAT);
      const without = CHAT.replace('commands: [ticket, giphy]', 'commands: [giphy]').replace(/commands:\n {2}- name: ticket\n.*\n.*\n.*\n/, 'commands: []\n') + 'policy:\n  prune: [commands]\n';
      const applied = await h.apply(without);
      expect(applied.result.failed).toEqual([]);
      const order = applied.plan.document.changes.map((c) => `${c.action} ${c.address}`);
      expect(order.indexOf('update channel_type/support')).toBeLessThan(order.indexOf('delete command/ticket'));
      expect((await h.plan(without)).plan.document.changes).toEqual([]);
    });
  });
});

describe('export of chat configuration', () => {
  it('writes custom channel types and commands (no built-in command) that plan nothing when read back', async () => {
    await withApp(async (h) => {
      await h.apply(CHAT);
      let text = '';
      const out = { stdout: (t: string) => (text += t), stderr: () => {}, color: false };
      await runExport({ kinds: ['commands', 'channel_types', 'blocklists', 'roles'] }, { deps: h.deps, client: h.client }, out);
      expect(text).toContain('- name: ticket');
      expect(text).toContain('- name: support');
      expect(text).not.toMatch(/name: giphy\n/);
      expect((await h.plan(text)).plan.document.changes).toEqual([]);
    });
  });
});

const TYPES = ['support', 'sales'];
const COMMANDS = ['ticket', 'order'];

const chatState = fc
  .record({
    commands: fc.subarray(COMMANDS),
    types: fc.subarray(TYPES),
    prune: fc.subarray(['commands', 'channel_types']),
    builtinReactions: fc.option(fc.boolean(), { nil: undefined }),
  })
  .chain((s) =>
    fc.record({
      shape: fc.constant(s),
      descriptions: fc.tuple(...s.commands.map(() => fc.constantFrom('Open a ticket', 'Track an order', 'Help'))),
      used: fc.tuple(...s.types.map(() => fc.subarray([...s.commands, 'giphy', 'mute']))),
      lengths: fc.tuple(...s.types.map(() => fc.option(fc.integer({ min: 100, max: 20_000 }), { nil: undefined }))),
      behaviors: fc.tuple(...s.types.map(() => fc.option(fc.constantFrom('flag', 'block', 'shadow_block'), { nil: undefined }))),
      grants: fc.tuple(...s.types.map(() => fc.option(fc.subarray(['read-channel', 'create-message', 'upload-attachment']), { nil: undefined }))),
    }),
  )
  .map(({ shape, descriptions, used, lengths, behaviors, grants }) => {
    const doc: Record<string, unknown> = { version: 1 };
    doc.commands = shape.commands.map((name, i) => ({ name, description: descriptions[i] }));
    const types: Record<string, unknown>[] = shape.types.map((name, i) => ({
      name,
      commands: used[i],
      ...(lengths[i] === undefined ? {} : { max_message_length: lengths[i] }),
      ...(behaviors[i] === undefined ? {} : { automod: 'simple', automod_behavior: behaviors[i] }),
      ...(grants[i] === undefined ? {} : { grants: { channel_member: grants[i] } }),
    }));
    if (shape.builtinReactions !== undefined) types.push({ name: 'team', reactions: shape.builtinReactions });
    doc.channel_types = types;
    if (shape.prune.length) doc.policy = { prune: shape.prune };
    return { yaml: stringify(doc), doc };
  });

type ChatDoc = { commands: { name: string }[]; channel_types: { name: string; commands?: string[] }[]; policy?: { prune?: string[] } };

/**
 * Stream refuses to delete a command a channel type names: a target that prunes commands while an earlier channel
 * type it neither redeclares nor prunes still names one cannot converge (apply reports the refusal), as for trunks
 * that a rule still routes through.
 */
function convergible(before: ChatDoc, target: ChatDoc): boolean {
  const prune = target.policy?.prune ?? [];
  if (!prune.includes('commands') || prune.includes('channel_types')) return true;
  const kept = new Set(target.commands.map((c) => c.name));
  const redeclared = new Set(target.channel_types.map((t) => t.name));
  return before.channel_types.every((t) => redeclared.has(t.name) || (t.commands ?? []).every((c) => kept.has(c) || !COMMANDS.includes(c)));
}

describe('chat properties over generated desired states', () => {
  it('apply then plan is empty; nothing is deleted outside policy.prune, nor a built-in', async () => {
    await fc.assert(
      fc.asyncProperty(chatState, chatState, async (before, target) => {
        fc.pre(convergible(before.doc as ChatDoc, target.doc as ChatDoc));
        await expectConverges(before, target, {
          sectionOf: { command: 'commands', channel_type: 'channel_types' },
          builtin: /^(channel_type\/(messaging|livestream|team|gaming|commerce)|command\/(giphy|ban|unban|mute|unmute))$/,
        });
      }),
      { numRuns: 15 },
    );
  });
});
