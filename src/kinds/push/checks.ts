import type { DesiredObject, DesiredState, Rec } from '../../core/model.js';
import { upsertOf } from '../define.js';
import type { LiveCheck } from '../types.js';

/** The event types CheckPush accepts (the spec's enum). */
const CHECK_PUSH_EVENTS = ['message.new', 'message.updated', 'reaction.new', 'reaction.updated', 'notification.reminder_due'];

/**
 * CheckPush for a declared push provider: one check per event type of its declared, enabled templates that CheckPush
 * knows (message.new when none), with `skip_devices` (the provider and its templates are checked, not the user's
 * devices) and `user_id: policy.check_user_id`, the user it renders for. Without check_user_id, or for a provider
 * declared disabled, the check is skipped with a line that says why (a skip is not a failure).
 */
export function pushChecks(provider: DesiredObject, desired: DesiredState): LiveCheck[] {
  const { type, name } = provider.fields as { type: string; name: string };
  const templates = [...desired.objects.values()].filter((o) => o.kind === 'push_template' && o.fields.push_provider_type === type && o.fields.push_provider_name === name);
  const disabled = new Set(templates.filter((t) => t.fields.enable_push === false).map((t) => String(t.fields.event_type)));
  const declaredEvents = templates.map((t) => String(t.fields.event_type)).filter((e) => CHECK_PUSH_EVENTS.includes(e) && !disabled.has(e));
  // No template CheckPush can render: the provider alone, with the first event type not declared disabled.
  const events = declaredEvents.length ? declaredEvents : CHECK_PUSH_EVENTS.filter((e) => !disabled.has(e)).slice(0, 1);
  const touches = (event: string) => (c: Parameters<LiveCheck['touchedBy']>[0]) => upsertOf(provider.address)(c) || upsertOf(`push_template/${type}/${name}/${event}`)(c);
  const userId = desired.policy.check_user_id;
  const skip =
    provider.fields.disabled_at !== undefined
      ? 'the provider is declared disabled (disabled_at)'
      : !userId
        ? 'policy.check_user_id is not set (the user CheckPush renders templates for)'
        : events.length === 0
          ? 'every event type CheckPush knows is declared with enable_push: false'
          : undefined;
  if (skip) return [{ name: `CheckPush ${provider.address}`, address: provider.address, skip, touchedBy: (c) => upsertOf(provider.address)(c) || events.some((e) => touches(e)(c)) }];
  return events.map((event) => ({
    name: `CheckPush ${provider.address} (${event})`,
    address: provider.address,
    request: {
      op: 'CheckPush',
      method: 'POST',
      path: '/api/v2/check_push',
      body: { push_provider_type: type, push_provider_name: name, event_type: event, skip_devices: true, user_id: userId },
      idempotent: true,
    },
    verdict: (res: Rec) => {
      const problems = [...((res.general_errors as string[] | undefined) ?? [])];
      for (const [device, info] of Object.entries((res.device_errors as Record<string, Rec> | undefined) ?? {})) problems.push(`device ${device}: ${String(info.error_message ?? 'failed')}`);
      return problems.length ? problems.join('; ') : undefined;
    },
    touchedBy: touches(event),
  }));
}
