import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/core/errors.js';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

/** The issues of the ConfigError `p` rejects with. */
async function refusal(p: Promise<unknown>): Promise<string[]> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map(formatIssue);
}

describe('plan refuses, before any write, what the API would refuse', () => {
  const env = useEmulator();

  it('names every problem in one round: a grant and a user naming missing roles (with no roles section), and too many block lists', async () => {
    const h = harness(env.emu);
    try {
      const lists = Array.from({ length: 15 }, (_, i) => `  - name: list-${i}\n    words: [w]\n`).join('');
      const file = `version: 1\napp:\n  settings:\n    grants:\n      ghost: [read-channel]\nusers:\n  - id: ann\n    role: phantom\nblocklists:\n${lists}`;
      const issues = await refusal(h.apply(file));
      expect(issues).toEqual([
        'stream.yaml:5:7: app refers to role/ghost, which is neither declared in the file nor present in the app',
        'stream.yaml:8:11: user/ann refers to role/phantom, which is neither declared in the file nor present in the app',
        expect.stringMatching(/^stream\.yaml:10:5: the plan would leave the app with 16 block lists \(1 kept in the app, 15 to create: .*limit of 15/),
      ]);
      expect(h.sent.filter((r) => r.method !== 'GET')).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('accepts a grant for a role the app already has, though the file has no roles section', async () => {
    const h = harness(env.emu);
    try {
      await h.apply('version: 1\nroles:\n  - name: support\n');
      const planned = await h.plan('version: 1\napp:\n  settings:\n    grants:\n      support: [read-channel]\n');
      expect(planned.plan.document.changes.map((c) => c.address)).toEqual(['app']);
    } finally {
      await h.close();
    }
  });
});
