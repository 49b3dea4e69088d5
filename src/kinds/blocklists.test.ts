import { describe, expect, it } from 'vitest';
import type { DesiredState, LiveState } from '../core/model.js';
import { buildPlan } from '../plan/plan.js';
import { blocklistKind, blocklistSchema } from './blocklists.js';
import { KINDS } from './registry.js';
import { declaredObject, expectRejected, noMemory } from '../../test/support/kinds.js';

const target = { base_url: 'http://x', api_key: 'k' };
const desired = (fields: Record<string, unknown>): DesiredState => {
  const obj = declaredObject(blocklistKind, fields);
  return { managedKinds: new Set(['blocklist']), objects: new Map([[obj.address, obj]]), policy: { prune: [], protect: [], ignore: [], ignore_fields: {} }, files: ['f.yaml'] };
};
const live = (fields: Record<string, unknown>): LiveState => ({ objects: new Map([[`blocklist/${String(fields.name)}`, { kind: 'blocklist', address: `blocklist/${String(fields.name)}`, fields }]]) });
const plan = (want: Record<string, unknown>, have: Record<string, unknown>) => buildPlan({ desired: desired(want), live: live(have), memory: noMemory, target, registry: KINDS }).document;

describe('block list words and case', () => {
  it('accepts capitals in a word list, as Stream does', () => {
    expect(blocklistSchema.safeParse({ name: 'l', words: ['Scam', 'GiveAway'] }).success).toBe(true);
  });

  it('still refuses a word listed twice and a word over 40 characters', () => {
    expectRejected(blocklistSchema, { name: 'l', words: ['scam', 'scam'] }, /twice/);
    expectRejected(blocklistSchema, { name: 'l', words: ['x'.repeat(41)] }, /at most 40 characters/);
  });

  it('plans no change when the words differ only in case', () => {
    const doc = plan({ name: 'l', words: ['Scam', 'Fraud'] }, { name: 'l', type: 'word', words: ['fraud', 'scam'] });
    expect(doc.changes).toEqual([]);
    expect(doc.summary.unchanged).toBe(1);
  });

  it('still plans a word added or removed, whatever its case', () => {
    expect(plan({ name: 'l', words: ['Scam', 'Fraud'] }, { name: 'l', words: ['scam'] }).changes.map((c) => c.fields.map((f) => f.path))).toEqual([['/words']]);
  });

  it('compares a regex list case-sensitively', () => {
    expect(plan({ name: 'l', type: 'regex', words: ['[A-Z]+'] }, { name: 'l', type: 'regex', words: ['[a-z]+'] }).changes).toHaveLength(1);
  });

  it('warns when a word list holds two words equal but for case, even with nothing to change', () => {
    const doc = plan({ name: 'l', words: ['Scam', 'scam', 'fraud'] }, { name: 'l', words: ['scam', 'fraud'] });
    expect(doc.changes).toEqual([]);
    expect(doc.warnings).toEqual([{ address: 'blocklist/l', message: expect.stringMatching(/^\/words lists "Scam" and "scam", which differ only in case/) }]);
  });

  it('does not warn for a regex list', () => {
    expect(plan({ name: 'l', type: 'regex', words: ['A', 'a'] }, { name: 'l', type: 'regex', words: ['A', 'a'] }).warnings).toEqual([]);
  });
});
