import { expect } from 'vitest';
import { stringify } from 'yaml';
import type { RequestRecord, RunningEmulator } from '../../src/emulator/server.js';

/**
 * A large, realistic apply for the reliability suites: tens of objects across every kind stream-sync manages,
 * secrets from the environment, and a live app that already holds objects the file prunes, protects, ignores or
 * leaves unmanaged. `BEFORE` builds that live app (applied without faults); `TARGET` is the file under test.
 */

const pad = (i: number) => String(i).padStart(2, '0');
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export const ROLES = range(8).map((i) => `role-${pad(i)}`);
export const LISTS = range(10).map((i) => `list-${pad(i)}`);
export const USERS = range(12).map((i) => `u-${pad(i)}`);
export const GROUPS = range(5).map((i) => `group-${pad(i)}`);
export const STORAGES = range(3).map((i) => `store-${pad(i)}`);
export const PROVIDERS = range(3).map((i) => `fcm-${pad(i)}`);

/** The only deletes the target may cause: undeclared objects of pruned kinds, neither protected nor ignored. */
export const EXPECTED_DELETES = ['blocklist/old-1', 'blocklist/old-2', 'role/old-role', 'user_group/old-group'];
/** Create operations and the new objects the target adds to the `BEFORE` app, per operation. */
export const EXPECTED_CREATES: Record<string, number> = {
  CreateRole: ROLES.length - 1,
  CreateBlockList: LISTS.length - 1,
  CreateUserGroup: GROUPS.length,
  CreateExternalStorage: STORAGES.length,
};

/** Sentinel secrets: they must reach the emulator and nowhere else. */
export const SECRETS = {
  SQS_SECRET: 'sentinel-sqs-3e1f9a7c',
  FCM_CREDENTIALS: JSON.stringify({ type: 'service_account', project_id: 'acme', private_key: 'sentinel-fcm-key-8b2d4e', client_email: 'push@acme.example' }),
  S3_SECRET: 'sentinel-s3-5c7a0d21',
};

function targetDoc(): Record<string, unknown> {
  return {
    version: 1,
    app: {
      settings: {
        webhook_url: 'https://hooks.acme.example/stream',
        webhook_events: ['message.new', 'user.updated'],
        sqs_url: 'https://sqs.us-east-1.amazonaws.com/123456789012/stream',
        sqs_key: 'AKIAEXAMPLE',
        sqs_secret: '${env:SQS_SECRET}',
        grants: Object.fromEntries(ROLES.slice(0, 3).map((r) => [r, ['read-channel', 'create-message']])),
      },
    },
    roles: [...ROLES.map((name) => ({ name })), { name: 'legacy-admin-keep' }],
    blocklists: LISTS.map((name, i) => ({ name, type: 'word', words: [`w${i}a`, `w${i}b`, `w${i}c`], ...(i % 2 ? { is_leet_check_enabled: true } : {}) })),
    push_providers: PROVIDERS.map((name, i) => ({
      type: 'firebase',
      name,
      description: `provider ${i + 1}`,
      firebase_credentials: '${env:FCM_CREDENTIALS}',
      templates: [
        { event_type: 'message.new', enable_push: true, template: `{"title": "{{ sender.name }} ${i}"}` },
        { event_type: 'reaction.new', enable_push: i % 2 === 0 },
      ],
    })),
    external_storages: STORAGES.map((name, i) => ({
      name,
      storage_type: 's3',
      bucket: `acme-${name}`,
      path: `calls/${i}/`,
      aws_s3: { s3_region: 'us-east-1', s3_api_key: 'AKIAEXAMPLE', s3_secret: '${env:S3_SECRET}' },
    })),
    users: USERS.map((id, i) => ({ id, name: `User ${i + 1}`, role: ROLES[i % ROLES.length], custom: { team: i % 2 ? 'blue' : 'red' } })),
    user_groups: GROUPS.map((id, i) => ({ id, name: `Group ${i + 1}`, description: `tier ${i + 1}`, members: USERS.slice(i * 2, i * 2 + 4) })),
    policy: {
      prune: ['blocklists', 'roles', 'user_groups'],
      max_deletes: EXPECTED_DELETES.length,
      protect: ['role/legacy-admin'],
      ignore: ['blocklist/tmp-*'],
    },
  };
}

/**
 * The live app before the target: one declared role and one declared list already exist (the list with other
 * words), plus objects the target must delete (old-*), keep (the protected role, the ignored list) or leave alone
 * (an external storage of a kind the target does not prune).
 */
function beforeDoc(): Record<string, unknown> {
  return {
    version: 1,
    roles: [{ name: ROLES[0] }, { name: 'old-role' }, { name: 'legacy-admin' }, { name: 'legacy-admin-keep' }],
    blocklists: [
      { name: LISTS[0], type: 'word', words: ['stale'] },
      { name: 'old-1', words: ['x'] },
      { name: 'old-2', words: ['y'] },
      { name: 'tmp-scratch', words: ['z'] },
    ],
    external_storages: [{ name: 'legacy-store', storage_type: 's3', bucket: 'legacy', aws_s3: { s3_region: 'eu-west-1' } }],
    users: [{ id: USERS[0], name: 'Old name', role: 'user' }, { id: USERS[1] }],
    user_groups: [{ id: 'old-group', name: 'Old', members: [USERS[0], USERS[1]] }],
  };
}

export const TARGET = stringify(targetDoc());
export const BEFORE = stringify(beforeDoc());

/** Operations that delete an object. */
const DELETE_OPS = /^Delete/;
const CREATE_OPS = new Set(Object.keys(EXPECTED_CREATES));

export interface WorkloadAudit {
  requests: number;
  faulted: number;
}

/**
 * The safety half of convergence, from what the emulator answered since `from`: no delete outside the expected
 * pruned addresses, no create answered with a refusal (Stream refuses a create of an existing name with 400/4:
 * a duplicate create), no more successful creates than new objects, and the app holding each object once.
 */
export function auditWorkload(emu: RunningEmulator, from: number, appKey?: string): WorkloadAudit {
  const seen: RequestRecord[] = emu.requests.slice(from).filter((r) => !appKey || r.apiKey === appKey);
  const deletes = seen.filter((r) => DELETE_OPS.test(r.op));
  const expectedPaths = new Set(EXPECTED_DELETES.map(deletePath));
  for (const d of deletes) expect(expectedPaths.has(d.path), `a delete outside policy.prune: ${d.op} ${d.path}`).toBe(true);
  for (const op of CREATE_OPS) {
    const creates = seen.filter((r) => r.op === op);
    expect(creates.filter((r) => r.status >= 400 && r.status < 500 && r.status !== 429), `${op} refused (a duplicate create?)`).toEqual([]);
    expect(creates.filter((r) => r.status === 201).length, `successful ${op} requests`).toBeLessThanOrEqual(EXPECTED_CREATES[op]!);
  }
  const app = emu.app(appKey);
  // Each object once: a list of names, not a set, so a duplicate would show.
  const names = (m: Map<string, Record<string, unknown>>, field = 'name') => [...m.values()].map((o) => String(o[field])).sort();
  expect(names(app.blocklists)).toEqual([...LISTS, 'profanity_en_2020_v1', 'tmp-scratch'].sort());
  expect(names(new Map([...app.roles].filter(([, r]) => r.custom !== false)))).toEqual([...ROLES, 'legacy-admin', 'legacy-admin-keep'].sort());
  expect(names(app.userGroups, 'id')).toEqual([...GROUPS].sort());
  expect(names(app.externalStorages)).toEqual([...STORAGES, 'legacy-store'].sort());
  return { requests: seen.length, faulted: seen.filter((r) => r.status === 0 || r.status >= 500 || r.status === 429).length };
}

function deletePath(address: string): string {
  const [kind, name] = address.split('/') as [string, string];
  const base = { blocklist: '/api/v2/blocklists/', role: '/api/v2/roles/', user_group: '/api/v2/usergroups/' }[kind];
  return `${base}${encodeURIComponent(name)}`;
}
