import { z } from 'zod';
import { inputError, orNotFound } from '../errors.js';
import { type Resource, valueSlice } from '../resource.js';
import { route } from '../router.js';
import type { AppState, Rec } from '../store.js';
import { nowIso, parseInput } from '../validate.js';

declare module '../store.js' {
  interface AppState {
    importerStorage: Rec | null;
    importerStorageSecrets: Rec | null;
  }
}

/**
 * The importer's external storage: one per app. AWS S3 is reached by assuming a cross-account IAM role (no
 * secret involved, so the whole `aws_s3` block reads back); GCS takes a service-account key, which is write-only
 * (`importerStorageSecrets`) and reads back only as `credentials_set`.
 */
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

const awsS3Schema = z.object({
  role_arn: z.string().regex(ROLE_ARN, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)'),
  bucket: z.string().min(1),
  region: z.string().min(1),
  path_prefix: z.string().optional(),
});

const gcsSchema = z.object({
  bucket: z.string().min(1),
  credentials: z.string().min(1),
  path_prefix: z.string().optional(),
});

const typeSchema = z.object({ type: z.enum(['aws_s3', 'gcs']) });
/** Each type requires its own block; the other one, if sent, is ignored. */
const awsUpsertSchema = z.object({ aws_s3: awsS3Schema });
const gcsUpsertSchema = z.object({ gcs: gcsSchema });

function serviceAccountOf(raw: string): Rec | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Rec) : undefined;
  } catch {
    return undefined;
  }
}

const mustExist = (app: AppState): Rec => orNotFound(app.importerStorage, 'external storage is not configured for this app');

/** Why the configured storage would fail a live check; `undefined` when it would pass. */
function validationProblem(storage: Rec, secrets: Rec | null): string | undefined {
  if (storage.type !== 'gcs') return undefined;
  const account = serviceAccountOf(String(secrets?.credentials ?? ''));
  if (typeof account?.client_email !== 'string' || typeof account?.private_key !== 'string') {
    return 'gcs credentials are not a service account key (client_email and private_key are required)';
  }
  return undefined;
}

const getImporterExternalStorage = route('GET', '/api/v2/imports/v2/external-storage', 'GetImporterExternalStorage', ({ app }) => ({ ...mustExist(app) }));

const upsertImporterExternalStorage = route('PUT', '/api/v2/imports/v2/external-storage', 'UpsertImporterExternalStorage', ({ app, body, now }) => {
  const { type } = parseInput(typeSchema, body);
  const at = nowIso(now);
  const createdAt = (app.importerStorage?.created_at as string | undefined) ?? at;
  if (type === 'aws_s3') {
    const req = parseInput(awsUpsertSchema, body);
    app.importerStorage = { type, aws_s3: { ...req.aws_s3 }, created_at: createdAt, updated_at: at };
    app.importerStorageSecrets = null;
  } else {
    const req = parseInput(gcsUpsertSchema, body);
    if (!serviceAccountOf(req.gcs.credentials)) {
      throw inputError('gcs.credentials must be a JSON service account key', { 'gcs.credentials': 'gcs.credentials must be a JSON service account key' });
    }
    const { credentials, ...readable } = req.gcs;
    app.importerStorage = { type, gcs: { ...readable, credentials_set: true }, created_at: createdAt, updated_at: at };
    app.importerStorageSecrets = { credentials };
  }
  return {};
});

// Idempotent, as documented: deleting when nothing is configured succeeds.
const deleteImporterExternalStorage = route('DELETE', '/api/v2/imports/v2/external-storage', 'DeleteImporterExternalStorage', ({ app }) => {
  app.importerStorage = null;
  app.importerStorageSecrets = null;
  return {};
});

const validateImporterExternalStorage = route('POST', '/api/v2/imports/v2/external-storage/validate', 'ValidateImporterExternalStorage', ({ app }) => {
  const storage = mustExist(app);
  const outcome = app.checkOutcomes.get('importer');
  const problem = outcome ? (outcome.ok ? undefined : (outcome.message ?? 'access denied')) : validationProblem(storage, app.importerStorageSecrets);
  // ValidateExternalStorageResponse carries only `duration`: a failed validation is an error answer.
  if (problem) throw inputError(`external storage validation failed: ${problem}`);
  return {};
});

export const importerStorage: Resource = {
  name: 'importer storage',
  state: { importerStorage: valueSlice(() => null), importerStorageSecrets: valueSlice(() => null) },
  routes: [getImporterExternalStorage, upsertImporterExternalStorage, deleteImporterExternalStorage, validateImporterExternalStorage],
};
