import { describe, expect, it } from 'vitest';
import type { DesiredObject, DesiredState, LiveObject, LiveState, Policy, WriteOnlyMemory } from '../core/model.js';
import { KINDS } from '../kinds/registry.js';
import { buildPlan } from './plan.js';
import { checkSaved } from './saved.js';

const memory: WriteOnlyMemory = { fingerprint: () => 'fp', applied: () => undefined };
const target = { base_url: 'http://x', api_key: 'k' };
const d = (kind: string, name: string, fields: Record<string, unknown> = {}): DesiredObject => ({ kind, address: `${kind}/${name}`, fields: { name, ...fields }, sensitive: [] });
const l = (kind: string, name: string, fields: Record<string, unknown> = {}): LiveObject => ({ kind, address: `${kind}/${name}`, fields: { name, ...fields } });
const state = (objects: DesiredObject[], p: Partial<Policy> = {}): DesiredState => ({
  managedKinds: new Set(['blocklist', 'role', 'app']),
  objects: new Map(objects.map((o) => [o.address, o])),
  policy: { prune: ['blocklists'], protect: [], ignore: [], ignore_fields: {}, ...p },
  files: ['f.yaml'],
});
const liveOf = (objects: LiveObject[]): LiveState => ({ objects: new Map(objects.map((o) => [o.address, o])) });
const plan = (desired: DesiredState, live: LiveState) => buildPlan({ desired, live, memory, target, registry: KINDS });
const check = (desired: DesiredState, savedLive: LiveState, nowLive: LiveState) => checkSaved(plan(desired, savedLive).document, plan(desired, nowLive), { desired, live: nowLive, memory });

describe('a saved plan against the app as it is now', () => {
  const desired = state([d('blocklist', 'kept', { words: ['a', 'b'] }), d('blocklist', 'new', { words: ['x'] }), d('role', 'agent')]);
  const then = liveOf([l('blocklist', 'kept', { words: ['a'] }), l('blocklist', 'gone', { words: ['z'] }), l('role', 'agent'), l('role', 'other')]);

  it('pins each object it updates or deletes by digest, and each it creates as absent', () => {
    const { depends_on } = plan(desired, then).document;
    expect(Object.keys(depends_on!).sort()).toEqual(['blocklist/gone', 'blocklist/kept', 'blocklist/new']);
    expect(depends_on!['blocklist/new']).toBeNull();
    expect(depends_on!['blocklist/kept']).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('stays valid when objects it does not touch moved, and applies only its own changes', () => {
    const now = liveOf([...then.objects.values()].filter((o) => o.address !== 'role/other').concat(l('role', 'agent', { extra: 1 }), l('blocklist', 'unrelated', { words: ['q'] })));
    const r = check(desired, then, now);
    expect(r.moved).toEqual([]);
    expect(r.differs).toEqual([]);
    // The new block list would be pruned now, but was not in the reviewed plan.
    expect(r.extra.map((c) => `${c.action} ${c.address}`)).toEqual(['delete blocklist/unrelated']);
    expect(r.plan.document.changes.map((c) => c.address).sort()).toEqual(['blocklist/gone', 'blocklist/kept', 'blocklist/new']);
    expect(r.plan.document.summary).toMatchObject({ create: 1, update: 1, delete: 1 });
  });

  it('names each object that moved: changed, created or deleted since', () => {
    const now = liveOf([l('blocklist', 'kept', { words: ['c'] }), l('blocklist', 'new', { words: ['x'] }), l('role', 'agent')]);
    expect(check(desired, then, now).moved.map((m) => `${m.address} ${m.how}`).sort()).toEqual(['blocklist/gone deleted', 'blocklist/kept changed', 'blocklist/new created']);
  });

  it('depends, for an update, only on the fields the file declares', () => {
    const app = state([{ kind: 'app', address: 'app', fields: { settings: { webhook_url: 'https://a' } }, sensitive: [] }]);
    const before = liveOf([{ kind: 'app', address: 'app', fields: { settings: { webhook_url: 'https://old', sqs_url: 'x' } } }]);
    const otherField = liveOf([{ kind: 'app', address: 'app', fields: { settings: { webhook_url: 'https://old', sqs_url: 'y' } } }]);
    const sameField = liveOf([{ kind: 'app', address: 'app', fields: { settings: { webhook_url: 'https://older', sqs_url: 'x' } } }]);
    expect(check(app, before, otherField).moved).toEqual([]);
    expect(check(app, before, sameField).moved).toEqual([{ address: 'app', how: 'changed' }]);
  });

  it('says which changes the file no longer produces as saved', () => {
    const saved = plan(desired, then).document;
    const edited = state([d('blocklist', 'kept', { words: ['a', 'c'] }), d('blocklist', 'new', { words: ['x'] }), d('role', 'agent')]);
    expect(checkSaved(saved, plan(edited, then), { desired: edited, live: then, memory }).differs).toEqual(['blocklist/kept']);
  });

  it('depends on the whole app when it was saved without depends_on (an older plan)', () => {
    const { depends_on: _, ...old } = plan(desired, then).document;
    const now = liveOf([...then.objects.values(), l('role', 'unrelated')]);
    expect(checkSaved(old, plan(desired, now), { desired, live: now, memory }).moved.map((m) => m.address).sort()).toEqual(['blocklist/gone', 'blocklist/kept', 'blocklist/new']);
  });
});
