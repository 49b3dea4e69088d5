import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

const FILE = `
version: 1
app:
  settings:
    webhook_url: https://hooks.acme.example/stream
    webhook_events: [user.updated, message.new]
    enforce_unique_usernames: app
    sqs_secret: \${env:SQS_SECRET}
    grants:
      support-agent: [read-channel, create-message]
roles:
  - name: support-agent
blocklists:
  - name: banned-words
    type: word
    words: [spoiler, scam]
    is_leet_check_enabled: true
policy:
  prune: [blocklists, roles]
`;

describe('app settings, roles and block lists against the emulator', () => {
  const env = useEmulator();

  it('applies a file, then plans no change; an edit plans exactly its change', async () => {
    const h = harness(env.emu);
    const first = await h.apply(FILE, { env: { SQS_SECRET: 'sentinel-sqs-secret' } });
    expect(first.result.failed).toEqual([]);
    expect(first.plan.document.summary).toMatchObject({ create: 2, update: 1, delete: 0 });
    expect(first.notConverged).toEqual([]);
    const again = await h.plan(FILE, { env: { SQS_SECRET: 'sentinel-sqs-secret' } });
    expect(again.plan.document.changes).toEqual([]);
    expect(JSON.stringify(first.plan.document)).not.toContain('sentinel-sqs-secret');

    const edited = FILE.replace('[spoiler, scam]', '[scam, spoiler, fraud]');
    const planned = await h.plan(edited, { env: { SQS_SECRET: 'sentinel-sqs-secret' } });
    expect(planned.plan.document.changes).toEqual([
      { address: 'blocklist/banned-words', kind: 'blocklist', action: 'update', fields: [{ path: '/words', before: ['scam', 'spoiler'], after: ['fraud', 'scam', 'spoiler'], sensitive: false }] },
    ]);
    await h.close();
  });
});

describe('names that need escaping in a JSON pointer', () => {
  const env = useEmulator();

  it('applies grants of a role named with "~" and custom keys with "/" and "~", then plans no change', async () => {
    const h = harness(env.emu);
    const file = `version: 1
app:
  settings:
    grants:
      ops~team: [read-channel]
roles:
  - name: ops~team
users:
  - id: u1
    custom: { "a/b": 1, "x~y": 2 }
`;
    try {
      const applied = await h.apply(file);
      expect(applied.result.failed).toEqual([]);
      expect(applied.notConverged).toEqual([]);
      expect((await h.plan(file)).plan.document.changes).toEqual([]);
      const edited = file.replace('"a/b": 1, "x~y": 2', '"a/b": 10, "x~y": 20');
      const updated = await h.apply(edited);
      expect(updated.plan.document.changes.map((c) => c.fields.map((f) => f.path))).toEqual([['/custom/a~1b', '/custom/x~0y']]);
      expect(updated.notConverged).toEqual([]);
      expect((await h.plan(edited)).plan.document.changes).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
