import { z } from 'zod';
import type { LiveObject, Rec } from '../core/model.js';
import { answerCheck, defineKind, envPlaceholder, getOrUndefined, isRecord, liveObject, overlay, pick } from './define.js';
import type { ApiRequest } from '../core/api.js';

/**
 * The importer's external storage (a singleton): an S3 bucket reached through a cross-account IAM role (no
 * secret; the whole `aws_s3` block reads back), or a GCS bucket with a service-account key (`gcs.credentials`:
 * secret, reads back only as `credentials_set`).
 *
 * UpsertImporterExternalStorage (PUT) replaces the whole configuration and GCS needs its credentials on every
 * call, so the file must declare them and every write sends the whole value; readable fields the file no longer
 * declares are sent as they are live, so they are kept, never reset.
 *
 * Deletion: stream-sync never deletes it (`prunable: false`). A section cannot be `null`, and a missing section
 * means "unmanaged"; to remove the configuration, use DeleteImporterExternalStorage outside stream-sync and drop
 * the section from the file.
 */
export const IMPORTER_STORAGE_TYPES = ['aws_s3', 'gcs'] as const;
const ADDRESS = 'importer_external_storage';
/** AWS's IAM role ARN form (partition `aws`, `aws-cn`, `aws-us-gov`; a 12-digit account). */
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

const nonEmpty = (what: string) => z.string().min(1, `${what} must not be empty`);

const awsS3Schema = z
  .object({
    bucket: nonEmpty('bucket').describe('The S3 bucket import files are read from.'),
    region: nonEmpty('region').describe('The AWS region of the bucket.'),
    role_arn: z.string().regex(ROLE_ARN, 'role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/stream-import').describe('The IAM role (in your account) Stream assumes to read the bucket, e.g. arn:aws:iam::123456789012:role/stream-import.'),
    path_prefix: z.string().optional().describe('The path prefix inside the bucket import files are read from.'),
  })
  .strict();

const gcsSchema = z
  .object({
    bucket: nonEmpty('bucket').describe('The GCS bucket import files are read from.'),
    /** The service-account key (JSON), e.g. `${file:/run/secrets/gcs.json}`. */
    credentials: nonEmpty('credentials').describe('Secret: the service account key (JSON), e.g. ${file:/run/secrets/gcs.json}; not read back, so sent on every write.'),
    path_prefix: z.string().optional().describe('The path prefix inside the bucket import files are read from.'),
  })
  .strict();

export const importerStorageSchema = z
  .object({
    type: z.enum(IMPORTER_STORAGE_TYPES).describe('Where import files are read from: aws_s3 (through an IAM role) or gcs (with a service account key).'),
    aws_s3: awsS3Schema.optional().describe('The S3 bucket and role (type aws_s3).'),
    gcs: gcsSchema.optional().describe('The GCS bucket and credentials (type gcs).'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const other = s.type === 'aws_s3' ? 'gcs' : 'aws_s3';
    if (s[s.type] === undefined) ctx.addIssue({ code: 'custom', path: [s.type], message: `type ${s.type} needs its ${s.type} block` });
    if (s[other] !== undefined) ctx.addIssue({ code: 'custom', path: [other], message: `${other} cannot be used with type ${s.type}` });
  });

/** GetImporterExternalStorage's answer in the file's shape: the active type's block, without `credentials_set`. */
export function importerStorageLive(res: Rec): LiveObject {
  const type = String(res.type);
  const fields: Rec = { type };
  const block = res[type];
  if (isRecord(block)) {
    const readable = type === 'aws_s3' ? ['bucket', 'region', 'role_arn', 'path_prefix'] : ['bucket', 'path_prefix'];
    fields[type] = pick(block, readable);
  }
  return liveObject('importer_external_storage', ADDRESS, fields);
}

export const importerStorageKind = defineKind({
  kind: 'importer_external_storage',
  section: 'importer_external_storage',
  singleton: true,
  schema: importerStorageSchema,
  entries: (section) => [{ kind: 'importer_external_storage', fields: section as Rec, path: ['importer_external_storage'] }],
  secretFields: ['/gcs/credentials'],
  prunable: false,
  async fetch(api) {
    // 404: nothing is configured.
    const res = await getOrUndefined<Rec>(api, { op: 'GetImporterExternalStorage', method: 'GET', path: '/api/v2/imports/v2/external-storage', idempotent: true });
    return res ? [importerStorageLive(res)] : [];
  },
  requests({ action, desired, live }) {
    if (action === 'delete') return [{ op: 'DeleteImporterExternalStorage', method: 'DELETE', path: '/api/v2/imports/v2/external-storage', idempotent: true }];
    const want = desired!.fields;
    const type = want.type as (typeof IMPORTER_STORAGE_TYPES)[number];
    // The PUT replaces everything: keep the live block's readable fields the file does not declare.
    const block = live?.fields.type === type ? overlay(live.fields[type], want[type]) : want[type];
    const req: ApiRequest = { op: 'UpsertImporterExternalStorage', method: 'PUT', path: '/api/v2/imports/v2/external-storage', body: { type, [type]: block }, idempotent: true };
    return [req];
  },
  checks: (obj) => [answerCheck(obj, { op: 'ValidateImporterExternalStorage', method: 'POST', path: '/api/v2/imports/v2/external-storage/validate', idempotent: true })],
  toFile(live) {
    const type = String(live.fields.type);
    if (type !== 'gcs') return live.fields;
    // The service-account key never reads back.
    return { type, gcs: { ...(live.fields.gcs as Rec | undefined), credentials: envPlaceholder('importer_external_storage', undefined, 'gcs_credentials') } };
  },
});
