import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

const example = readFileSync(join(ROOT, 'config.example/stream.yaml'), 'utf8');

describe('config.example/stream.yaml against the emulator', () => {
  const env = useEmulator({ apps: [{ key: 'example', secret: 'example-secret', name: 'emulator' }] });

  it('applies with no variable set, re-plans empty, and a reviewed edit plans exactly its changes', async () => {
    const h = harness(env.emu);
    try {
      const applied = await h.apply(example);
      expect(applied.result.failed).toEqual([]);
      expect(applied.notConverged).toEqual([]);
      // 12 common objects (the app is an update), the video section (2 call types, a SIP trunk and its routing rule)
      // the chat section (a command, a custom channel type and the built-in livestream type, an update) and the
      // moderation section (a config and an escalation rule).
      expect(applied.plan.document.summary).toEqual({ create: 20, update: 2, delete: 0, unchanged: 0 });
      expect(applied.plan.document.changes.filter((c) => c.kind.startsWith('moderation_')).map((c) => `${c.action} ${c.address}`)).toEqual([
        'create moderation_config/chat:support',
        'create moderation_rule/repeat-offender',
      ]);
      expect(applied.plan.document.changes.filter((c) => /^(channel_type|command)$/.test(c.kind)).map((c) => `${c.action} ${c.address}`).sort()).toEqual([
        'create channel_type/support',
        'create command/ticket',
        'update channel_type/livestream',
      ]);
      expect(applied.plan.document.changes.filter((c) => /^(call_type|sip_)/.test(c.kind)).map((c) => `${c.action} ${c.address}`).sort()).toEqual([
        'create call_type/support-call',
        'create call_type/town-hall',
        'create sip_inbound_routing_rule/support-hotline',
        'create sip_trunk/support-pbx',
      ]);
      expect((await h.plan(example)).plan.document.changes).toEqual([]);

      const edited = example
        .replace('words: [scam, spoiler, giveaway]', 'words: [scam, spoiler, giveaway, crypto]')
        .replace('description: Tier 1 agents', 'description: Tier 1 and 2 agents')
        .replace('members: [agent-ann, agent-bo]', 'members: [agent-ann, agent-bo, lead-cy]')
        .replace('recording: { mode: auto-on, quality: 720p }', 'recording: { mode: auto-on, quality: 1080p }');
      const { plan } = await h.plan(edited);
      // By address: the order between independent kinds is the executor's business, not this test's.
      expect([...plan.document.changes].sort((a, b) => (a.address < b.address ? -1 : 1))).toEqual([
        { address: 'blocklist/banned-words', kind: 'blocklist', action: 'update', fields: [{ path: '/words', before: ['giveaway', 'scam', 'spoiler'], after: ['crypto', 'giveaway', 'scam', 'spoiler'], sensitive: false }] },
        { address: 'call_type/support-call', kind: 'call_type', action: 'update', fields: [{ path: '/settings/recording/quality', before: '720p', after: '1080p', sensitive: false }] },
        {
          address: 'user_group/support',
          kind: 'user_group',
          action: 'update',
          fields: [
            { path: '/description', before: 'Tier 1 agents', after: 'Tier 1 and 2 agents', sensitive: false },
            { path: '/members', before: ['agent-ann', 'agent-bo'], after: ['agent-ann', 'agent-bo', 'lead-cy'], sensitive: false },
          ],
        },
      ]);
      const second = await h.apply(edited);
      expect(second.result.failed).toEqual([]);
      expect((await h.plan(edited)).plan.document.changes).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
