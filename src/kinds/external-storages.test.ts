import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../test/support/spec.js';
import type { DesiredObject, FieldChange, LiveObject, Rec } from '../core/model.js';
import { externalStorageKind, externalStorageLive, externalStorageSchema } from './external-storages.js';
import type { Api, ApiRequest } from '../core/api.js';

const desired = (fields: Rec): DesiredObject => ({ kind: 'external_storage', address: externalStorageKind.address(fields), fields, sensitive: [] });
const change = (path: string, sensitive = false): FieldChange => ({ path, before: null, after: sensitive ? '(sensitive value)' : 'x', sensitive });

describe('external_storages schema', () => {
  const accepted: [string, Rec][] = [
    ['s3 with its IAM role', { name: 'recordings', storage_type: 's3', bucket: 'acme', path: 'calls/', aws_s3: { s3_region: 'us-east-1' } }],
    ['s3 with keys and a custom endpoint', { name: 'r2', storage_type: 's3', bucket: 'b', aws_s3: { s3_region: 'auto', s3_api_key: 'k', s3_secret: 's', s3_custom_endpoint_url: 'https://r2.example.com' } }],
    ['gcs', { name: 'g', storage_type: 'gcs', bucket: 'b', gcs_credentials: '{"client_email":"x"}' }],
    ['abs', { name: 'a', storage_type: 'abs', bucket: 'b', azure_blob: { abs_account_name: 'n', abs_tenant_id: 't', abs_client_id: 'c', abs_client_secret: 's' } }],
    ['no credentials (left unmanaged)', { name: 'x', storage_type: 's3', bucket: 'b' }],
  ];
  it.each(accepted)('accepts %s', (_, value) => expect(externalStorageSchema.safeParse(value).success).toBe(true));

  const rejected: [string, Rec, string][] = [
    ['a missing bucket', { name: 'x', storage_type: 's3' }, 'expected string'],
    ['an unknown storage type', { name: 'x', storage_type: 'azure', bucket: 'b' }, 'Invalid option'],
    ['the read-side `type`', { name: 'x', type: 's3', storage_type: 's3', bucket: 'b' }, 'Unrecognized key'],
    ['a name with a slash', { name: 'a/b', storage_type: 's3', bucket: 'b' }, 'must not contain "/"'],
    ['another provider’s credentials', { name: 'x', storage_type: 's3', bucket: 'b', gcs_credentials: 'sentinel-gcs' }, 'gcs_credentials cannot be used with storage_type s3 (it takes aws_s3)'],
    ['an s3 key without its secret', { name: 'x', storage_type: 's3', bucket: 'b', aws_s3: { s3_region: 'r', s3_api_key: 'k' } }, 's3_api_key and s3_secret go together'],
    ['a custom endpoint without keys', { name: 'x', storage_type: 's3', bucket: 'b', aws_s3: { s3_region: 'r', s3_custom_endpoint_url: 'https://e.example' } }, 's3_custom_endpoint_url requires s3_api_key and s3_secret'],
    ['an s3 block without region', { name: 'x', storage_type: 's3', bucket: 'b', aws_s3: {} }, 'expected string'],
    ['an incomplete azure block', { name: 'x', storage_type: 'abs', bucket: 'b', azure_blob: { abs_account_name: 'n' } }, 'expected string'],
  ];
  it.each(rejected)('rejects %s', (_, value, message) => {
    const r = externalStorageSchema.safeParse(value);
    expect(r.success).toBe(false);
    const text = r.error!.issues.map((i) => i.message).join('\n');
    expect(text).toContain(message);
    expect(text).not.toContain('sentinel-gcs');
  });
});

describe('external storage live objects', () => {
  it('normalizes `type` to `storage_type`', () => {
    expect(externalStorageLive({ name: 'recordings', type: 's3', bucket: 'acme', path: 'calls/' })).toEqual({
      kind: 'external_storage',
      address: 'external_storage/recordings',
      fields: { name: 'recordings', storage_type: 's3', bucket: 'acme', path: 'calls/' },
    });
  });

  it('reads the list map, and re-reads a create by name', async () => {
    const api: Api = { send: async <T>() => ({ external_storages: { recordings: { name: 'recordings', type: 'gcs', bucket: 'b', path: '' } } }) as T };
    expect((await externalStorageKind.fetch(api, [], { complete: true })).map((l) => l.fields)).toEqual([{ name: 'recordings', storage_type: 'gcs', bucket: 'b', path: '' }]);
    expect(await externalStorageKind.reread!(api, desired({ name: 'recordings' }))).toMatchObject({ address: 'external_storage/recordings' });
    expect(await externalStorageKind.reread!(api, desired({ name: 'other' }))).toBeUndefined();
  });
});

describe('external storage requests', () => {
  const s3 = desired({ name: 'recordings', storage_type: 's3', bucket: 'acme', path: 'calls/', aws_s3: { s3_region: 'us-east-1', s3_api_key: 'k', s3_secret: 's' } });
  const live: LiveObject = { kind: 'external_storage', address: s3.address, fields: { name: 'recordings', storage_type: 's3', bucket: 'old', path: 'calls/' } };
  const put = (body: Rec): ApiRequest[] => [{ op: 'UpdateExternalStorage', method: 'PUT', path: '/api/v2/external_storage/{name}', params: { name: 'recordings' }, body, idempotent: true }];
  const cases: [string, ApiRequest[], ApiRequest[]][] = [
    ['create posts the declared object (not idempotent)', externalStorageKind.requests({ action: 'create', address: s3.address, desired: s3, fields: [] }), [{ op: 'CreateExternalStorage', method: 'POST', path: '/api/v2/external_storage', body: s3.fields, idempotent: false }]],
    ['an update always sends storage_type and bucket', externalStorageKind.requests({ action: 'update', address: s3.address, desired: s3, live, fields: [change('/bucket')] }), put({ storage_type: 's3', bucket: 'acme' })],
    ['a changed path is sent', externalStorageKind.requests({ action: 'update', address: s3.address, desired: s3, live, fields: [change('/path')] }), put({ storage_type: 's3', bucket: 'acme', path: 'calls/' })],
    [
      'a changed secret sends its whole block (the API replaces it)',
      externalStorageKind.requests({ action: 'update', address: s3.address, desired: s3, live, fields: [change('/aws_s3/s3_secret', true)] }),
      put({ storage_type: 's3', bucket: 'acme', aws_s3: { s3_region: 'us-east-1', s3_api_key: 'k', s3_secret: 's' } }),
    ],
    [
      'a new storage type sends the declared block along',
      externalStorageKind.requests({ action: 'update', address: s3.address, desired: s3, live: { ...live, fields: { ...live.fields, storage_type: 'gcs' } }, fields: [change('/storage_type')] }),
      put({ storage_type: 's3', bucket: 'acme', aws_s3: { s3_region: 'us-east-1', s3_api_key: 'k', s3_secret: 's' } }),
    ],
    ['delete', externalStorageKind.requests({ action: 'delete', address: s3.address, live, fields: [] }), [{ op: 'DeleteExternalStorage', method: 'DELETE', path: '/api/v2/external_storage/{name}', params: { name: 'recordings' }, idempotent: true }]],
  ];
  it.each(cases)('%s', (_, got, want) => expect(got).toEqual(want));

  it('sends bodies the spec accepts', () => {
    const spec = loadSpec();
    if (!spec) return;
    for (const [, reqs] of cases) for (const r of reqs) if (r.body) expect(spec.validateRequest(r.op, r.body)).toEqual([]);
  });
});

describe('external storage export', () => {
  it.each([
    ['s3', { aws_s3: { s3_region: '${env:STREAM_EXTERNAL_STORAGE_RECORDINGS_S3_REGION}', s3_api_key: '${env:STREAM_EXTERNAL_STORAGE_RECORDINGS_S3_API_KEY}', s3_secret: '${env:STREAM_EXTERNAL_STORAGE_RECORDINGS_S3_SECRET}' } }],
    ['gcs', { gcs_credentials: '${env:STREAM_EXTERNAL_STORAGE_RECORDINGS_GCS_CREDENTIALS}' }],
    [
      'abs',
      {
        azure_blob: {
          abs_account_name: '${env:STREAM_EXTERNAL_STORAGE_RECORDINGS_ABS_ACCOUNT_NAME}',
          abs_tenant_id: '${env:STREAM_EXTERNAL_STORAGE_RECORDINGS_ABS_TENANT_ID}',
          abs_client_id: '${env:STREAM_EXTERNAL_STORAGE_RECORDINGS_ABS_CLIENT_ID}',
          abs_client_secret: '${env:STREAM_EXTERNAL_STORAGE_RECORDINGS_ABS_CLIENT_SECRET}',
        },
      },
    ],
  ])('writes placeholders for what a %s storage needs', (type, credentials) => {
    const live = externalStorageLive({ name: 'recordings', type, bucket: 'acme', path: '' });
    const entry = externalStorageKind.toFile!(live, [live]);
    expect(entry).toEqual({ name: 'recordings', storage_type: type, bucket: 'acme', ...credentials });
    expect(externalStorageSchema.safeParse(entry).success).toBe(true);
  });
});
