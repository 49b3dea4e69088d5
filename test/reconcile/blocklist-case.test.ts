import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { harness } from '../support/reconcile.js';

describe('block list words are matched whatever their case', () => {
  const env = useEmulator();
  const file = (words: string) => `version: 1\nblocklists:\n  - name: case-words\n    words: [${words}]\n`;

  it('applies capitals, then plans no change for a case-only edit, and warns of words equal but for case', async () => {
    const h = harness(env.emu);
    try {
      const applied = await h.apply(file('Scam, fraud'));
      expect(applied.result.failed).toEqual([]);
      expect(applied.notConverged).toEqual([]);
      const caseOnly = await h.plan(file('scam, FRAUD'));
      expect(caseOnly.plan.document.changes).toEqual([]);
      const twice = await h.plan(file('Scam, scam, fraud'));
      expect(twice.plan.document.changes).toEqual([]);
      expect(twice.plan.document.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/"Scam" and "scam", which differ only in case/)]);
    } finally {
      await h.close();
    }
  });
});
