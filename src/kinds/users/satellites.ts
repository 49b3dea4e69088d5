import type { DesiredObject, Rec } from '../../core/model.js';
import type { Api } from '../../core/api.js';
import { existingUserIds } from './ids.js';

/**
 * What the satellites of a user (devices, blocked users) share: which users' lists the file manages.
 *
 * A user manages a satellite list only when it declares the key (`devices: []` included): a declared user without
 * `devices:` has its devices left alone, even with `devices` in `policy.prune`, the way a missing section leaves a
 * kind unmanaged. An empty list yields no desired objects, so the user's entry remembers which lists it declares,
 * under a symbol: never diffed, never printed, never written.
 */
export type SatelliteList = 'devices' | 'blocked_users';

const DECLARED = Symbol('satellite lists the user declares');

/** The user's fields, remembering which satellite lists the file declares for it. */
export function withDeclaredLists(fields: Rec, lists: readonly SatelliteList[]): Rec {
  Object.defineProperty(fields, DECLARED, { value: [...lists], enumerable: false });
  return fields;
}

export function declaredLists(fields: Rec): readonly SatelliteList[] {
  return ((fields as Record<symbol, unknown>)[DECLARED] as SatelliteList[] | undefined) ?? [];
}

/**
 * The existing users whose `list` is read: with pruning (`complete`), every declared user that declares the list;
 * otherwise only those that declare at least one item (nothing else can differ). Users that do not exist yet (or
 * are soft-deleted) have nothing to read: everything declared for them is a create.
 */
export async function satelliteOwners(api: Api, list: SatelliteList, desired: readonly DesiredObject[], all: readonly DesiredObject[] | undefined, complete: boolean): Promise<string[]> {
  const owners = new Set(desired.map((d) => String(d.fields.user_id)));
  if (complete) {
    for (const o of all ?? []) if (o.kind === 'user' && declaredLists(o.fields).includes(list)) owners.add(String(o.fields.id));
  }
  if (owners.size === 0) return [];
  const existing = await existingUserIds(api, [...owners]);
  return [...owners].filter((id) => existing.has(id)).sort();
}
