import { describe, expect, it } from 'vitest';
import { harness } from '../support/reconcile.js';
import { useEmulator } from '../support/emulator.js';

/**
 * policy.report_only, as Argo CD without self-heal: the file's changes are applied, the app's own changes since
 * are reported as drift and left alone, for the sections or addresses it names; everything else is corrected.
 */
describe('policy.report_only', () => {
  const env = useEmulator();
  const lists = () => [...env.emu.app(env.emu.apiKey).blocklists.values()];
  const list = (name: string) => lists().find((b) => b.name === name);
  const file = (words: string, extra = '') => `version: 1
blocklists:
  - name: words
    words: ${words}
${extra}roles:
  - name: agent
policy:
  prune: [blocklists, roles]
  report_only: [blocklists]
`;

  it('applies the file, reports what the app changed since without correcting it, and applies the file again once it changes', async () => {
    const h = harness(env.emu);
    expect((await h.apply(file('[a, b]'))).result.failed).toEqual([]);

    // Someone edits the list and adds another in the dashboard; another edits an unmanaged-by-report role too.
    list('words')!.words = ['dashboard'];
    const extra = { ...structuredClone(list('words')!), id: 'extra-id', name: 'extra' };
    env.emu.app(env.emu.apiKey).blocklists.set('extra-id', extra);
    const drifted = await h.plan(file('[a, b]'));
    expect(drifted.plan.document.changes).toEqual([]);
    expect(drifted.plan.document.drift!.map((c) => `${c.action} ${c.address}`).sort()).toEqual(['delete blocklist/extra', 'update blocklist/words']);
    expect(drifted.plan.document.warnings.map((w) => w.address)).toEqual(expect.arrayContaining(['blocklist/words', 'blocklist/extra']));
    await h.apply(file('[a, b]'));
    expect(list('words')!.words).toEqual(['dashboard']);
    expect(list('extra')).toBeDefined();

    // The file changes: its version is applied (the dashboard's edit is overwritten, as reviewed).
    const edited = await h.apply(file('[a, b, c]'));
    expect(edited.plan.document.changes.map((c) => c.address)).toEqual(['blocklist/words']);
    expect([...(list('words')!.words as string[])].sort()).toEqual(['a', 'b', 'c']);

    // The file drops a list it declared: that delete is the file's change, applied.
    await h.apply(file('[a, b, c]', '  - name: second\n    words: [z]\n'));
    const dropped = await h.apply(file('[a, b, c]'));
    expect(dropped.plan.document.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['delete blocklist/second']);
    expect(list('second')).toBeUndefined();
    expect(list('extra')).toBeDefined();
    await h.close();
  });

  it('records nothing for what a targeted apply did not look at: the file\'s change stays the file\'s to apply', async () => {
    const h = harness(env.emu);
    await h.apply(file('[t1]'));
    const edited = file('[t1, t2]');
    // Apply only the role: the list's change was not looked at, so it is not taken for applied.
    const targeted = await h.plan(edited, { targets: ['role/*'] });
    const { applyPlan } = await import('../../src/runtime/engine.js');
    await applyPlan(h.deps, targeted.plan, targeted.desired);
    const next = await h.plan(edited);
    expect((next.plan.document.drift ?? []).map((c) => c.address)).not.toContain('blocklist/words');
    expect(next.plan.document.changes.map((c) => c.address)).toEqual(['blocklist/words']);
    await h.close();
  });

  it('forgets an object both the file and the app dropped: the app creating it again is reported, not pruned', async () => {
    const h = harness(env.emu);
    await h.apply(file('[k]', '  - name: gone\n    words: [g]\n'));
    const id = [...env.emu.app(env.emu.apiKey).blocklists.entries()].find(([, b]) => b.name === 'gone')![0];
    env.emu.app(env.emu.apiKey).blocklists.delete(id);
    await h.apply(file('[k]'));
    env.emu.app(env.emu.apiKey).blocklists.set('again-id', { ...structuredClone(list('words')!), id: 'again-id', name: 'gone' });
    const r = await h.plan(file('[k]'));
    expect(r.plan.document.changes.map((c) => c.address)).not.toContain('blocklist/gone');
    expect(r.plan.document.drift!.map((c) => `${c.action} ${c.address}`)).toContain('delete blocklist/gone');
    await h.close();
  });

  it('corrects drift everywhere else, and before anything was recorded (a first apply) lets the file win', async () => {
    const h = harness(env.emu);
    const roles = () => [...env.emu.app(env.emu.apiKey).roles.values()].map((r) => String(r.name));
    await h.apply(file('[x]'));
    env.emu.app(env.emu.apiKey).roles.set('rogue', { ...structuredClone([...env.emu.app(env.emu.apiKey).roles.values()].find((r) => r.name === 'agent')!), name: 'rogue' });
    const r = await h.apply(file('[x]'));
    expect(r.plan.document.changes.map((c) => `${c.action} ${c.address}`)).toContain('delete role/rogue');
    expect(roles()).not.toContain('rogue');
    // A new harness has no state: its first apply takes the file's version.
    list('words')!.words = ['moved'];
    const fresh = harness(env.emu);
    const first = await fresh.apply(file('[x]'));
    expect(first.plan.document.changes.map((c) => c.address)).toContain('blocklist/words');
    expect(list('words')!.words).toEqual(['x']);
    await h.close();
    await fresh.close();
  });
});
