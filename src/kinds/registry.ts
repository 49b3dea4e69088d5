import { appKind } from './app.js';
import { blocklistKind } from './blocklists.js';
import { externalStorageKind } from './external-storages.js';
import { importerStorageKind } from './importer-storage.js';
import { permissionKind } from './permissions.js';
import { pollKind } from './polls.js';
import { pushProviderKind, pushTemplateKind } from './push/providers.js';
import { roleKind } from './roles.js';
import type { KindSpec } from './types.js';
import { userGroupKind } from './user-groups.js';
import { blockedUserKind } from './users/blocked.js';
import { deviceKind } from './users/devices.js';
import { pushPreferenceKind } from './users/push-preferences.js';
import { userKind } from './users/user.js';
import { callTypeKind } from './video/call-types.js';
import { channelTypeKind } from './chat/channel-types.js';
import { commandKind } from './chat/commands.js';
import { moderationConfigKind } from './moderation/configs.js';
import { moderationRuleKind } from './moderation/rules.js';
import { sipRuleKind, sipTrunkKind } from './video/sip.js';

/** Every kind stream-sync manages, in the order plans list them. The one registry: nothing else lists kinds. */
export const KINDS: readonly KindSpec[] = [
  appKind,
  roleKind,
  permissionKind,
  blocklistKind,
  pushProviderKind,
  pushTemplateKind,
  externalStorageKind,
  importerStorageKind,
  userKind,
  deviceKind,
  blockedUserKind,
  pushPreferenceKind,
  userGroupKind,
  pollKind,
  callTypeKind,
  sipTrunkKind,
  sipRuleKind,
  commandKind,
  channelTypeKind,
  moderationConfigKind,
  moderationRuleKind,
];

const byName = new Map(KINDS.map((k) => [k.kind, k]));
const bySection = new Map(KINDS.filter((k) => k.section).map((k) => [k.section!, k]));

/** The kind named `kind`, if there is one (an address's kind may be anything the user wrote). */
export const findKind = (kind: string): KindSpec | undefined => byName.get(kind);

export function kindSpec(kind: string): KindSpec {
  const k = byName.get(kind);
  if (!k) throw new Error(`unknown kind ${kind}`);
  return k;
}

/** The kind whose section this is, if any. */
export const kindOfSection = (section: string): KindSpec | undefined => bySection.get(section);

/** The kinds a section makes managed: its own, and the kinds declared inside it. */
export const kindsOfSection = (section: string): KindSpec[] => {
  const own = bySection.get(section);
  return own ? [own, ...KINDS.filter((k) => k.declaredIn === own.kind)] : [];
};

/** The secret fields of a kind (for redaction of whatever text an output carries). */
export const secretFieldsOf = (kind: string): readonly string[] => byName.get(kind)?.secretFields ?? [];
