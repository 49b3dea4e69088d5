import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { useEmulator } from '../support/emulator.js';
import { desiredFromYaml, harness } from '../support/reconcile.js';

describe('block lists: teams, duplicates, case and dot names', () => {
  const env = useEmulator();

  it('updates and prunes a team-scoped list, which the API finds by name and team', async () => {
    const h = harness(env.emu);
    try {
      const file = (words: string) => `version: 1\nblocklists:\n  - name: team-words\n    team: red\n    words: [${words}]\npolicy:\n  prune: [blocklists]\n`;
      expect((await h.apply(file('a'))).result.failed).toEqual([]);
      const updated = await h.apply(file('a, b'));
      expect(updated.result.failed).toEqual([]);
      expect(updated.notConverged).toEqual([]);
      const pruned = await h.apply('version: 1\nblocklists: []\npolicy:\n  prune: [blocklists]\n', { allowDeletes: 1 });
      expect(pruned.result.failed).toEqual([]);
      expect([...env.emu.app().blocklists.values()].map((b) => b.name)).toEqual(['profanity_en_2020_v1']);
    } finally {
      await h.close();
    }
  });

  it.each([
    ['a word listed twice', 'words: [scam, scam]', /words lists "scam" twice/],
    ['a word over 40 characters', `words: [${'x'.repeat(41)}]`, /at most 40 characters/],
  ])('refuses %s before any request', (_name, words, message) => {
    expect(() => desiredFromYaml(`version: 1\nblocklists:\n  - name: l\n    ${words}\n`)).toThrow(message);
  });

  it('accepts 40 emoji as 40 characters, and uppercase in a regex list', () => {
    expect(() => desiredFromYaml(`version: 1\nblocklists:\n  - name: l\n    words: ["${'😀'.repeat(40)}"]\n  - name: r\n    type: regex\n    words: ["[A-Z]+"]\n`)).not.toThrow();
  });

  it.each(['.', '..'])('refuses the name %j, which a URL would resolve as a dot segment', (name) => {
    expect(() => desiredFromYaml(`version: 1\nroles:\n  - name: "${name}"\n`)).toThrow(ConfigError);
  });
});
