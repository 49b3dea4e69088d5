/** Plans shared by the renderer tests (test support only; imported by the `*.test.ts` files beside it). */
import type { Change, FieldChange, PlanDocument } from '../../core/model.js';

/** Planted in sensitive fields: no renderer may ever print it. */
export const SECRET = 'SENTINEL-SECRET-123';

export const field = (path: string, before: unknown, after: unknown, sensitive = false): FieldChange => ({ path, before, after, sensitive });

export function planOf(changes: Change[], extra: Partial<PlanDocument> = {}): PlanDocument {
  const count = (action: string) => changes.filter((c) => c.action === action).length;
  return {
    format_version: '1',
    target: { base_url: 'https://chat.stream-io-api.com', api_key: 'key-abc123', app_name: 'acme-prod' },
    summary: { create: count('create'), update: count('update'), delete: count('delete'), unchanged: 7 },
    changes,
    warnings: [],
    live_fingerprint: `sha256:${'0'.repeat(64)}`,
    ...extra,
  };
}

/** One change of each action, with a set array, a sensitive value, an object and a null. */
export const SAMPLE = planOf(
  [
    {
      address: 'blocklist/banned-words',
      kind: 'blocklist',
      action: 'create',
      fields: [field('/type', null, 'word'), field('/words', null, ['scam', 'spoiler'])],
    },
    {
      address: 'app',
      kind: 'app',
      action: 'update',
      fields: [
        field('/settings/webhook_url', 'https://old.example', 'https://hooks.acme.example/stream'),
        field('/settings/webhook_events', ['user.deleted', 'user.updated'], ['call.created', 'user.updated']),
        field('/settings/sqs_secret', '(sensitive value)', '(sensitive value)', true),
        field('/settings/grants', {}, { 'support-agent': ['read-channel'] }),
        field('/settings/sqs_url', 'https://sqs.example/q', null),
      ],
    },
    { address: 'role/old-agent', kind: 'role', action: 'delete', fields: [] },
  ],
  { warnings: [{ address: 'role/legacy-admin', message: 'not declared in the file, but protected by policy.protect: not deleted' }] },
);

/**
 * A plan whose sensitive fields carry the sentinel unmasked, in every shape a value can take, as if an upstream
 * bug had skipped the masking: the renderers must mask on their own.
 */
export const LEAKY = planOf([
  {
    address: 'push_provider/firebase/acme-fcm',
    kind: 'push_provider',
    action: 'create',
    fields: [field('/firebase_credentials', null, SECRET, true), field('/nested', null, { key: SECRET, list: [SECRET] }, true)],
  },
  {
    address: 'app',
    kind: 'app',
    action: 'update',
    fields: [
      field('/settings/sqs_secret', SECRET, `${SECRET}-new`, true),
      field('/settings/keys', [SECRET], [SECRET, 'other'], true),
      field('/settings/obj', { a: SECRET }, { a: 'b' }, true),
    ],
  },
]);
