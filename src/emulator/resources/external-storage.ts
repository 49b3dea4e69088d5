import { z } from 'zod';
import { inputError, orNotFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route } from '../router.js';
import type { AppState, Rec } from '../store.js';
import { parseInput } from '../validate.js';

declare module '../store.js' {
  interface AppState {
    /** name → read model `{name, bucket, path, type}` plus server fields. */
    externalStorages: Map<string, Rec>;
    externalStorageSecrets: Map<string, Rec>;
  }
}

/**
 * External storage (file uploads kept in the customer's bucket). Writes say `storage_type`, reads say `type`;
 * the provider configs (`aws_s3`, `gcs_credentials`, `azure_blob`) are write-only and live in
 * `externalStorageSecrets`, so the read model is exactly `{name, type, bucket, path}`.
 */
const STORAGE_TYPES = ['s3', 'gcs', 'abs'] as const;
type StorageType = (typeof STORAGE_TYPES)[number];

const s3Schema = z.object({
  s3_region: z.string().min(1),
  s3_api_key: z.string().optional(),
  s3_secret: z.string().optional(),
  s3_custom_endpoint_url: z
    .string()
    .refine(isEndpointUrl, { error: 'must be an http(s) URL without user name or password (credentials go in s3_api_key and s3_secret)' })
    .optional(),
});

/** A custom S3 endpoint: an http(s) URL that carries no credentials (they would be echoed in CheckExternalStorage). */
function isEndpointUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** `raw` without any `user:password@` (defence for state saved before such URLs were refused). */
function withoutUserinfo(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return raw;
  }
}

const azureSchema = z.object({
  abs_account_name: z.string().min(1),
  abs_tenant_id: z.string().min(1),
  abs_client_id: z.string().min(1),
  abs_client_secret: z.string().min(1),
});

const configFields = {
  storage_type: z.enum(STORAGE_TYPES),
  bucket: z.string().min(1),
  path: z.string().optional(),
  aws_s3: s3Schema.optional(),
  gcs_credentials: z.string().optional(),
  azure_blob: azureSchema.optional(),
};

const createSchema = z.object({ name: z.string().min(1), ...configFields });
const updateSchema = z.object(configFields);
type StorageConfig = z.infer<typeof updateSchema>;

/** The config field each storage type takes its credentials from. */
const CREDENTIAL_FIELD: Record<StorageType, 'aws_s3' | 'gcs_credentials' | 'azure_blob'> = {
  s3: 'aws_s3',
  gcs: 'gcs_credentials',
  abs: 'azure_blob',
};

/** Rejects credentials for another provider and S3 settings that S3 itself would refuse. Returns the secrets to keep. */
function credentialsOf(req: StorageConfig): Rec | undefined {
  const own = CREDENTIAL_FIELD[req.storage_type];
  for (const field of Object.values(CREDENTIAL_FIELD)) {
    if (field !== own && req[field] !== undefined) {
      throw inputError(`${field} cannot be used with storage_type ${req.storage_type}`, { [field]: `${field} cannot be used with storage_type ${req.storage_type}` });
    }
  }
  const s3 = req.aws_s3;
  if (s3 && (s3.s3_api_key === undefined) !== (s3.s3_secret === undefined)) {
    throw inputError('aws_s3.s3_api_key and aws_s3.s3_secret must be given together');
  }
  if (s3?.s3_custom_endpoint_url !== undefined && s3.s3_api_key === undefined) {
    throw inputError('aws_s3.s3_custom_endpoint_url requires aws_s3.s3_api_key and aws_s3.s3_secret');
  }
  const value = req[own];
  return value === undefined ? undefined : { [own]: value };
}

const mustFind = (app: AppState, name: string): Rec => orNotFound(app.externalStorages.get(name), `external storage ${name} does not exist`);

/** Why a storage cannot be used, judged from the credentials it was given; `undefined` when it can. */
function credentialProblem(type: StorageType, secrets: Rec | undefined): string | undefined {
  switch (type) {
    case 's3':
      // Without an API key Stream assumes its IAM role; it still needs the bucket's region.
      return secrets?.aws_s3 ? undefined : 'aws_s3.s3_region is not configured';
    case 'gcs': {
      const raw = secrets?.gcs_credentials as string | undefined;
      if (!raw) return 'gcs_credentials are not configured';
      try {
        const creds = JSON.parse(raw) as Rec;
        if (typeof creds?.client_email === 'string' && typeof creds?.private_key === 'string') return undefined;
      } catch {
        /* reported below */
      }
      return 'gcs_credentials are not a valid service account key';
    }
    case 'abs':
      return secrets?.azure_blob ? undefined : 'azure_blob credentials are not configured';
  }
}

/** Where the check's test file lands, in the provider's own URL form. */
function testFileUrl(storage: Rec, secrets: Rec | undefined, file: string): string {
  const key = [storage.path, file].filter(Boolean).join('/').replace(/\/{2,}/g, '/');
  switch (storage.type as StorageType) {
    case 's3': {
      const s3 = secrets?.aws_s3 as Rec | undefined;
      if (s3?.s3_custom_endpoint_url) return `${withoutUserinfo(String(s3.s3_custom_endpoint_url)).replace(/\/$/, '')}/${storage.bucket}/${key}`;
      return `https://${storage.bucket}.s3.${s3?.s3_region ?? 'us-east-1'}.amazonaws.com/${key}`;
    }
    case 'gcs':
      return `https://storage.googleapis.com/${storage.bucket}/${key}`;
    case 'abs':
      return `https://${(secrets?.azure_blob as Rec | undefined)?.abs_account_name}.blob.core.windows.net/${storage.bucket}/${key}`;
  }
}

const listExternalStorage = route('GET', '/api/v2/external_storage', 'ListExternalStorage', ({ app }) => ({ external_storages: Object.fromEntries(app.externalStorages) }));

const createExternalStorage = route('POST', '/api/v2/external_storage', 'CreateExternalStorage', ({ app, body }) => {
  const req = parseInput(createSchema, body);
  if (app.externalStorages.has(req.name)) throw inputError(`external storage ${req.name} already exists`, { name: `external storage ${req.name} already exists` });
  const secrets = credentialsOf(req);
  app.externalStorages.set(req.name, { name: req.name, type: req.storage_type, bucket: req.bucket, path: req.path ?? '' });
  if (secrets) app.externalStorageSecrets.set(req.name, secrets);
  // Stream answers a create with `duration` only.
  return {};
});

const updateExternalStorage = route('PUT', '/api/v2/external_storage/{name}', 'UpdateExternalStorage', ({ app, params, body }) => {
  const req = parseInput(updateSchema, body);
  const storage = mustFind(app, params.name!);
  const secrets = credentialsOf(req);
  // Credentials not sent are kept while the type stays; a new type cannot use the old provider's.
  if (secrets) app.externalStorageSecrets.set(storage.name, secrets);
  else if (req.storage_type !== storage.type) app.externalStorageSecrets.delete(storage.name);
  storage.type = req.storage_type;
  storage.bucket = req.bucket;
  if (req.path !== undefined) storage.path = req.path;
  return { ...storage };
});

const deleteExternalStorage = route('DELETE', '/api/v2/external_storage/{name}', 'DeleteExternalStorage', ({ app, params }) => {
  mustFind(app, params.name!);
  app.externalStorages.delete(params.name!);
  app.externalStorageSecrets.delete(params.name!);
  return {};
});

const checkExternalStorage = route('GET', '/api/v2/external_storage/{name}/check', 'CheckExternalStorage', ({ app, params, newId }) => {
  const storage = mustFind(app, params.name!);
  const secrets = app.externalStorageSecrets.get(storage.name);
  const outcome = app.checkOutcomes.get(`external_storage/${storage.name}`);
  const problem = outcome ? (outcome.ok ? undefined : (outcome.message ?? 'access denied')) : credentialProblem(storage.type, secrets);
  // The response has room for the uploaded file's URL only, so a failed check is an error answer.
  if (problem) throw inputError(`external storage ${storage.name} check failed: ${problem}`);
  return { file_url: testFileUrl(storage, secrets, `stream-storage-check-${newId()}.txt`) };
});

export const externalStorage: Resource = {
  name: 'external storage',
  state: { externalStorages: mapSlice(), externalStorageSecrets: mapSlice() },
  routes: [listExternalStorage, createExternalStorage, updateExternalStorage, deleteExternalStorage, checkExternalStorage],
};
