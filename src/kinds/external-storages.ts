import { z } from 'zod';
import type { LiveObject, Rec } from '../core/model.js';
import { addressPart, answerCheck, changedTopLevel, defineKind, envPlaceholder, liveObject, pick } from './define.js';
import type { Api } from '../core/api.js';

/**
 * External storages (where Stream writes files such as call recordings), by name. Writes say `storage_type`,
 * reads say `type` (normalized to `storage_type`). The provider blocks `aws_s3`, `gcs_credentials` and
 * `azure_blob` never read back: each of their fields is write-only (compared by fingerprint), the keys and
 * secrets among them secret. UpdateExternalStorage requires `storage_type` and `bucket` on every call and
 * replaces a provider block it is sent as a whole, so an update always sends those two, and a block whole
 * whenever any of its fields (or the storage type) changes; a block the file does not declare is never sent,
 * and the API keeps it while the type stays.
 */
export const STORAGE_TYPES = ['s3', 'gcs', 'abs'] as const;
type StorageType = (typeof STORAGE_TYPES)[number];

/** The file field holding each storage type's credentials. */
const CREDENTIAL_FIELD: Record<StorageType, 'aws_s3' | 'gcs_credentials' | 'azure_blob'> = { s3: 'aws_s3', gcs: 'gcs_credentials', abs: 'azure_blob' };
const CREDENTIAL_FIELDS = Object.values(CREDENTIAL_FIELD);
const READ_FIELDS = ['name', 'storage_type', 'bucket', 'path'] as const;

const nonEmpty = (what: string) => z.string().min(1, `${what} must not be empty`);

const awsS3Schema = z
  .object({
    s3_region: nonEmpty('s3_region').describe('The AWS region of the bucket; write-only (never read back), compared by fingerprint.'),
    /** Without a key Stream uses its IAM role. */
    s3_api_key: nonEmpty('s3_api_key').optional().describe('Secret: the AWS access key id (with s3_secret); without one, Stream uses its IAM role; write-only (never read back), compared by fingerprint.'),
    s3_secret: nonEmpty('s3_secret').optional().describe('Secret: the AWS secret access key (with s3_api_key); write-only (never read back), compared by fingerprint.'),
    s3_custom_endpoint_url: z.url({ error: 's3_custom_endpoint_url must be a URL' }).optional().describe('An S3-compatible endpoint to use instead of AWS (needs s3_api_key and s3_secret); write-only (never read back), compared by fingerprint.'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.s3_api_key === undefined) !== (s.s3_secret === undefined)) {
      ctx.addIssue({ code: 'custom', path: [s.s3_api_key === undefined ? 's3_api_key' : 's3_secret'], message: 's3_api_key and s3_secret go together: set both (API key authentication) or neither (IAM role)' });
    }
    if (s.s3_custom_endpoint_url !== undefined && s.s3_api_key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['s3_custom_endpoint_url'], message: 's3_custom_endpoint_url requires s3_api_key and s3_secret' });
    }
  });

const azureBlobSchema = z
  .object({
    abs_account_name: nonEmpty('abs_account_name').describe('The Azure storage account name; write-only (never read back), compared by fingerprint.'),
    abs_tenant_id: nonEmpty('abs_tenant_id').describe('The Azure AD tenant id of the service principal; write-only (never read back), compared by fingerprint.'),
    abs_client_id: nonEmpty('abs_client_id').describe('The client id of the Azure service principal; write-only (never read back), compared by fingerprint.'),
    abs_client_secret: nonEmpty('abs_client_secret').describe('Secret: the client secret of the Azure service principal; write-only (never read back), compared by fingerprint.'),
  })
  .strict();

export const externalStorageSchema = z
  .object({
    name: addressPart('an external storage name', 255).describe('Identity: the storage\'s name (`external_storage/<name>`), as call types name it.'),
    storage_type: z.enum(STORAGE_TYPES).describe('The provider: s3 (Amazon S3 or compatible), gcs (Google Cloud Storage) or abs (Azure Blob Storage).'),
    bucket: nonEmpty('bucket').describe('The bucket (or Azure container) files are written to.'),
    path: z.string().optional().describe('The path prefix inside the bucket files are written under.'),
    aws_s3: awsS3Schema.optional().describe('S3 settings (storage_type s3); sent whole when any field changes, never read back.'),
    gcs_credentials: nonEmpty('gcs_credentials').optional().describe('Secret: the GCS service account key (JSON) for storage_type gcs; write-only (never read back), compared by fingerprint.'),
    azure_blob: azureBlobSchema.optional().describe('Azure Blob Storage settings (storage_type abs); sent whole when any field changes, never read back.'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const own = CREDENTIAL_FIELD[s.storage_type];
    for (const field of CREDENTIAL_FIELDS) {
      if (field !== own && s[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${field} cannot be used with storage_type ${s.storage_type} (it takes ${own})` });
    }
  });

const address = (name: unknown) => `external_storage/${String(name)}`;

/** A ListExternalStorage item in the file's shape (`type` → `storage_type`). */
export function externalStorageLive(s: Rec): LiveObject {
  const fields: Rec = { name: s.name, storage_type: s.type, bucket: s.bucket };
  if (s.path !== undefined && s.path !== null) fields.path = s.path;
  return liveObject('external_storage', address(s.name), fields);
}

async function listAll(api: Api): Promise<Rec[]> {
  const res = await api.send<{ external_storages?: Record<string, Rec> }>({ op: 'ListExternalStorage', method: 'GET', path: '/api/v2/external_storage', idempotent: true });
  return Object.entries(res.external_storages ?? {}).map(([name, s]) => ({ name, ...s }));
}

export const externalStorageKind = defineKind({
  kind: 'external_storage',
  section: 'external_storages',
  schema: z.array(externalStorageSchema),
  secretFields: ['/aws_s3/s3_api_key', '/aws_s3/s3_secret', '/gcs_credentials', '/azure_blob/abs_client_secret'],
  writeOnlyFields: ['/aws_s3/*', '/gcs_credentials', '/azure_blob/*'],
  identityFields: ['name'],
  async fetch(api) {
    return (await listAll(api)).map(externalStorageLive);
  },
  warnings({ action, desired, fields }) {
    // UpdateExternalStorage replaces aws_s3 whole: a block without keys switches the storage to Stream's IAM role.
    const s3 = desired?.fields.aws_s3 as Rec | undefined;
    const sendsS3 = action === 'update' && s3 !== undefined && fields.some((f) => f.path.startsWith('/aws_s3/') || f.path === '/storage_type');
    return sendsS3 && s3!.s3_api_key === undefined
      ? ['aws_s3 is sent whole and declares no s3_api_key/s3_secret: the storage will use Stream\'s IAM role, and keys set before are removed']
      : [];
  },
  requests({ action, desired, live, fields }) {
    const name = String((desired ?? live)!.fields.name);
    if (action === 'delete') return [{ op: 'DeleteExternalStorage', method: 'DELETE', path: '/api/v2/external_storage/{name}', params: { name }, idempotent: true }];
    const want = desired!.fields;
    if (action === 'create') return [{ op: 'CreateExternalStorage', method: 'POST', path: '/api/v2/external_storage', body: want, idempotent: false }];
    const changed = changedTopLevel(fields);
    const body: Rec = { storage_type: want.storage_type, bucket: want.bucket };
    if (changed.includes('path')) body.path = want.path;
    // A new type drops the old provider's credentials: the declared block goes along with it.
    const typeChanged = changed.includes('storage_type');
    for (const block of CREDENTIAL_FIELDS) if (want[block] !== undefined && (typeChanged || changed.includes(block))) body[block] = want[block];
    return [{ op: 'UpdateExternalStorage', method: 'PUT', path: '/api/v2/external_storage/{name}', params: { name }, body, idempotent: true }];
  },
  async reread(api, desired) {
    const found = (await listAll(api)).find((s) => s.name === desired.fields.name);
    return found ? externalStorageLive(found) : undefined;
  },
  checks: (obj) => [answerCheck(obj, { op: 'CheckExternalStorage', method: 'GET', path: '/api/v2/external_storage/{name}/check', params: { name: String(obj.fields.name) }, idempotent: true })],
  toFile(live) {
    const name = String(live.fields.name);
    const out = pick(live.fields, READ_FIELDS);
    if (out.path === '') delete out.path;
    // Credentials never read back: placeholders for what the type may hold. The API replaces aws_s3 whole, so an
    // exported block without its keys would remove them on the next apply: the keys are exported as placeholders
    // too, and a storage that uses Stream's IAM role drops those two lines (the export's header says so).
    switch (live.fields.storage_type as StorageType) {
      case 's3':
        out.aws_s3 = Object.fromEntries(['s3_region', 's3_api_key', 's3_secret'].map((f) => [f, envPlaceholder('external_storage', name, f)]));
        break;
      case 'gcs':
        out.gcs_credentials = envPlaceholder('external_storage', name, 'gcs_credentials');
        break;
      case 'abs':
        out.azure_blob = Object.fromEntries(['abs_account_name', 'abs_tenant_id', 'abs_client_id', 'abs_client_secret'].map((f) => [f, envPlaceholder('external_storage', name, f)]));
        break;
    }
    return out;
  },
});
