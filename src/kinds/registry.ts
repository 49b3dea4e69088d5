import { appKind } from './app.js';
import { blockedUserKind } from './users/blocked.js';
import { blocklistKind } from './blocklists.js';
import { deviceKind } from './users/devices.js';
import { externalStorageKind } from './external-storages.js';
import { importerStorageKind } from './importer-storage.js';
import { permissionKind } from './permissions.js';
import { pollKind } from './polls.js';
import { pushPreferenceKind } from './users/push-preferences.js';
import { pushProviderKind, pushTemplateKind } from './push-providers.js';
import { roleKind } from './roles.js';
import type { KindSpec } from './types.js';
import { userGroupKind } from './user-groups.js';
import { userKind } from './users/user.js';

/** Every kind stream-sync manages, in the order plans list them. The one registry: nothing else lists kinds. */
export const KINDS: readonly KindSpec[] = [appKind, roleKind, permissionKind, blocklistKind, pushProviderKind, pushTemplateKind, externalStorageKind, importerStorageKind, userKind, deviceKind, blockedUserKind, pushPreferenceKind, userGroupKind, pollKind];

export const kindByName = new Map(KINDS.map((k) => [k.kind, k]));
export const kindBySection = new Map(KINDS.filter((k) => k.section).map((k) => [k.section!, k]));

/** The kind an address (`kind/name…`) belongs to. */
export function kindOfAddress(address: string): string {
  const slash = address.indexOf('/');
  return slash < 0 ? address : address.slice(0, slash);
}

export function kindSpec(kind: string): KindSpec {
  const k = kindByName.get(kind);
  if (!k) throw new Error(`unknown kind ${kind}`);
  return k;
}

/** The kinds a section makes managed: its own, and the kinds declared inside it. */
export const kindsOfSection = (section: string): KindSpec[] => {
  const own = kindBySection.get(section);
  return own ? [own, ...KINDS.filter((k) => k.declaredIn === own.kind)] : [];
};
