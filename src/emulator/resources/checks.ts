import { z } from 'zod';
import { inputError, notFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { setOwn } from '../paths.js';
import { route } from '../router.js';
import type { AppState, Rec } from '../store.js';
import { parseInput } from '../validate.js';
import { renderTemplate, sampleContext } from './push-template.js';

/** The outcome a check endpoint answers for one target (`push/<type>/<name>`, `sns`, `sqs`, `external_storage/<name>`, `importer`). */
export interface CheckOutcome {
  ok: boolean;
  message?: string;
}

declare module '../store.js' {
  interface AppState {
    /** What a check answers for a target, set by tests (see below); absent targets are checked for real. */
    checkOutcomes: Map<string, CheckOutcome>;
  }
}

/**
 * CheckPush, CheckSNS and CheckSQS, and what they share with push.ts: provider types and state keys. A check never reaches a real service: it passes when
 * the configuration is complete and well-formed, and `app.checkOutcomes` overrides it per target (`sqs`, `sns`,
 * `push/<type>/<name>`, `push/<type>` for the app-level provider of a type).
 */
export const PROVIDER_TYPES = ['apn', 'firebase', 'huawei', 'xiaomi'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export const providerKey = (type: string, name: string) => `${type}/${name}`;
/** Templates of the app-level (v1) provider of a type are keyed with an empty provider name. */
export const templateKey = (type: string, name: string, eventType: string) => `${type}/${name}/${eventType}`;

// ---------------------------------------------------------------------------------------------------------------
// CheckPush

const APN_DEFAULT = `{"aps":{"alert":{"title":"{{ sender.name }} @ {{ channel.name }}","body":"{{ truncate message.text 2000 }}"},"badge":{{ unread_count }},"mutable-content":1,"category":"stream.chat"},"stream":{"sender":"stream.chat","type":"{{ event_type }}","version":"v2","id":"{{ message.id }}","cid":"{{ channel.cid }}"}}`;
const FIREBASE_NOTIFICATION_DEFAULT = `{"title":"{{ sender.name }} @ {{ channel.name }}","body":"{{ truncate message.text 2000 }}"}`;
const FIREBASE_DATA_DEFAULT = `{"sender":"stream.chat","type":"{{ event_type }}","version":"v2","id":"{{ message.id }}","channel_type":"{{ channel.type }}","channel_id":"{{ channel.id }}","cid":"{{ channel.cid }}","receiver_id":"{{ receiver.id }}"}`;

const CHECK_EVENT_TYPES = ['message.new', 'message.updated', 'reaction.new', 'reaction.updated', 'notification.reminder_due'] as const;

const checkPushSchema = z.object({
  event_type: z.enum(CHECK_EVENT_TYPES).optional(),
  push_provider_type: z.enum(PROVIDER_TYPES).optional(),
  push_provider_name: z.string().optional(),
  apn_template: z.string().optional(),
  firebase_template: z.string().optional(),
  firebase_data_template: z.string().optional(),
  message_id: z.string().optional(),
  skip_devices: z.boolean().optional(),
  user_id: z.string().optional(),
  user: z.object({ id: z.string().min(1) }).passthrough().optional(),
});
type CheckPushRequest = z.infer<typeof checkPushSchema>;

interface Target {
  type: ProviderType;
  name: string;
}

const outcomeKey = (t: Target) => (t.name ? `push/${t.type}/${t.name}` : `push/${t.type}`);
const describe = (t: Target) => (t.name ? `push provider ${t.name} of type ${t.type}` : `the app's ${t.type} push configuration`);

/** Why pushes through a provider would fail; `undefined` when they would go out. */
function providerProblem(app: AppState, t: Target): string | undefined {
  const outcome: CheckOutcome | undefined = app.checkOutcomes.get(outcomeKey(t));
  if (outcome) return outcome.ok ? undefined : (outcome.message ?? `${describe(t)} rejected the notification`);
  if (!t.name) return (app.settings.push_notifications as Rec | undefined)?.[t.type]?.enabled ? undefined : `${describe(t)} is not enabled`;
  const provider = app.pushProviders.get(providerKey(t.type, t.name));
  if (!provider) return `${describe(t)} does not exist`;
  if (provider.disabled_at) return `${describe(t)} is disabled${provider.disabled_reason ? `: ${provider.disabled_reason}` : ''}`;
  return undefined;
}

/** The template a provider uses for an event: the request's override, the stored template, the provider's own, or Stream's default. */
function pick(app: AppState, t: Target, eventType: string, override: string | undefined, own: string | undefined, fallback: string) {
  if (override) return override;
  const stored = app.pushTemplates.get(templateKey(t.type, t.name, eventType));
  if (stored?.template) return stored.template as string;
  return own || fallback;
}

function pushCheck(app: AppState, req: CheckPushRequest): Rec {
  const eventType = req.event_type ?? 'message.new';
  const userId = req.user_id ?? req.user?.id;
  if (!userId) throw inputError('user_id or user is required', { user_id: 'user_id is a required field' });
  const receiver = req.user_id ? app.users.get(req.user_id) : req.user;
  if (!receiver) throw notFound(`user ${req.user_id} does not exist`);
  // The emulator keeps no chat messages, so any message id the caller names is unknown.
  if (req.message_id) throw notFound(`message ${req.message_id} does not exist`);

  const generalErrors: string[] = [];
  const deviceErrors: Rec = {};
  const failing = new Set<string>();
  const targets: Target[] = [];
  const addTarget = (t: Target): string | undefined => {
    const problem = providerProblem(app, t);
    if (!targets.some((x) => x.type === t.type && x.name === t.name)) targets.push(t);
    if (problem) failing.add(providerKey(t.type, t.name));
    return problem;
  };
  if (req.skip_devices) {
    const name = req.push_provider_name ?? '';
    for (const type of req.push_provider_type ? [req.push_provider_type] : (['apn', 'firebase'] as const)) {
      const problem = addTarget({ type, name });
      if (problem) generalErrors.push(problem);
    }
  } else {
    const wanted = (t: Target) => (!req.push_provider_type || t.type === req.push_provider_type) && (req.push_provider_name === undefined || t.name === req.push_provider_name);
    const chosen = [...app.devices.values()].filter((d) => d.user_id === userId && !d.disabled && wanted({ type: d.push_provider, name: d.push_provider_name ?? '' }));
    if (chosen.length === 0) throw inputError('User has no enabled devices associated');
    for (const d of chosen) {
      const t: Target = { type: d.push_provider, name: d.push_provider_name ?? '' };
      const problem = addTarget(t);
      if (problem) setOwn(deviceErrors, d.id, { provider: t.type, provider_name: t.name, error_message: problem });
    }
  }

  const data = { ...sampleContext(receiver, eventType), event_type: eventType };
  const body: Rec = { event_type: eventType, skip_devices: req.skip_devices ?? false, general_errors: generalErrors, device_errors: deviceErrors };
  const render = (label: string, template: string): Rec | undefined => {
    try {
      return JSON.parse(renderTemplate(template, data)) as Rec;
    } catch (err) {
      generalErrors.push(`${label} is invalid: ${(err as Error).message}`);
      return undefined;
    }
  };
  // One rendering per platform: a provider that works is shown rather than one that fails.
  const ordered = [...targets].sort((a, b) => Number(failing.has(providerKey(a.type, a.name))) - Number(failing.has(providerKey(b.type, b.name))));
  let apnMessage: Record<string, string> | undefined;
  let firebaseMessage: Record<string, string> | undefined;
  for (const t of ordered) {
    const key = providerKey(t.type, t.name);
    const provider = t.name ? app.pushProviders.get(key) : undefined;
    const stored = app.pushTemplates.get(templateKey(t.type, t.name, eventType));
    if (stored && !stored.enable_push) generalErrors.push(`push is disabled for ${eventType} on ${describe(t)}`);
    if (t.type === 'apn') {
      if (body.rendered_apn_template !== undefined) continue;
      const own = t.name ? app.pushProviderSecrets.get(key)?.apn_notification_template : undefined;
      const apn = render('apn template', pick(app, t, eventType, req.apn_template, own, APN_DEFAULT));
      if (!apn) continue;
      body.rendered_apn_template = JSON.stringify(apn);
      const alert = (apn.aps as Rec | undefined)?.alert as Rec | undefined;
      apnMessage = stringMap({ title: alert?.title, body: alert?.body });
    } else {
      if (body.rendered_firebase_template !== undefined) continue;
      const notification = render('firebase template', pick(app, t, eventType, req.firebase_template, provider?.firebase_notification_template, FIREBASE_NOTIFICATION_DEFAULT));
      if (notification) body.rendered_firebase_template = JSON.stringify(notification);
      // Firebase data payloads are string maps, which is what `rendered_message` holds.
      const dataPayload = render('firebase data template', req.firebase_data_template || provider?.firebase_data_template || FIREBASE_DATA_DEFAULT);
      if (dataPayload) firebaseMessage = stringMap(dataPayload);
    }
  }
  const message = firebaseMessage ?? apnMessage;
  if (message) body.rendered_message = message;
  return body;
}

function stringMap(obj: Rec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// CheckSNS / CheckSQS

const AWS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{16}$/;
const SNS_TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/;
const SQS_URL = /^https:\/\/sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/\d{12}\/[\w-]{1,80}(\.fifo)?$/;

interface AwsTarget {
  kind: 'sns' | 'sqs';
  location: string | undefined;
  key: string | undefined;
  secret: string | undefined;
}

/** Request values win field by field; missing ones come from the app settings (secrets from the write-only side). */
function awsTarget(app: AppState, kind: 'sns' | 'sqs', req: Rec): AwsTarget {
  const locationField = kind === 'sns' ? 'sns_topic_arn' : 'sqs_url';
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    kind,
    location: str(req[locationField]) ?? str(app.settings[locationField]),
    key: str(req[`${kind}_key`]) ?? str(app.settings[`${kind}_key`]),
    secret: str(req[`${kind}_secret`]) ?? str(app.settingsWriteOnly[`${kind}_secret`]),
  };
}

function awsProblem(t: AwsTarget): string | undefined {
  const locationField = t.kind === 'sns' ? 'sns_topic_arn' : 'sqs_url';
  if (!t.location) return `${locationField} is not configured`;
  if (t.kind === 'sns' ? !SNS_TOPIC_ARN.test(t.location) : !SQS_URL.test(t.location)) {
    return t.kind === 'sns' ? `invalid SNS topic ARN "${t.location}"` : `invalid SQS queue URL "${t.location}"`;
  }
  // Without keys Stream authenticates with its IAM role, which the customer grants in the resource policy.
  if (!t.key && !t.secret) return undefined;
  if (!t.key || !t.secret) return `${t.kind}_key and ${t.kind}_secret must be given together`;
  if (!AWS_KEY_ID.test(t.key)) return 'The security token included in the request is invalid.';
  return undefined;
}

const snsSchema = z.object({ sns_topic_arn: z.string().optional(), sns_key: z.string().optional(), sns_secret: z.string().optional() });
const sqsSchema = z.object({ sqs_url: z.string().optional(), sqs_key: z.string().optional(), sqs_secret: z.string().optional() });

function awsCheck(app: AppState, kind: 'sns' | 'sqs', req: Rec): Rec {
  const target = awsTarget(app, kind, req);
  const outcome = app.checkOutcomes.get(kind);
  const problem = outcome ? (outcome.ok ? undefined : (outcome.message ?? 'AccessDenied')) : awsProblem(target);
  if (!problem) return { status: 'ok' };
  return { status: 'error', error: problem, data: { [kind === 'sns' ? 'sns_topic_arn' : 'sqs_url']: target.location ?? '' } };
}

const checkPush = route('POST', '/api/v2/check_push', 'CheckPush', ({ app, body }) => pushCheck(app, parseInput(checkPushSchema, body)));
const checkSNS = route('POST', '/api/v2/check_sns', 'CheckSNS', ({ app, body }) => awsCheck(app, 'sns', parseInput(snsSchema, body)));
const checkSQS = route('POST', '/api/v2/check_sqs', 'CheckSQS', ({ app, body }) => awsCheck(app, 'sqs', parseInput(sqsSchema, body)));

export const checks: Resource = {
  name: 'checks',
  state: { checkOutcomes: mapSlice() },
  routes: [checkPush, checkSNS, checkSQS],
};
