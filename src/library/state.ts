import { StateFile as StateData } from '../state/state-file.js';

/**
 * Where stream-sync keeps what it cannot read back from Stream: the keyed fingerprints of the write-only values it
 * applied (so a secret is written again only when it changes) and the users it manages. The file holds no secret.
 * `StateFile.inMemory()` (the default of every call) forgets it all when the process ends: fine for tests and
 * previews; give a plan or apply that writes a real app the same file the CLI uses (`.stream-sync/state.json`).
 */
export class StateFile {
  private constructor(
    /** The file, or undefined in memory. */
    readonly path: string | undefined,
  ) {}

  /** The state file at `path` (created by the first apply). An apply holds its lock while it writes. */
  static open(path: string): StateFile {
    return new StateFile(path);
  }

  /** A state kept in this object only, per app. */
  static inMemory(): StateFile {
    return new StateFile(undefined);
  }
}

/** Each in-memory StateFile's state, per app. */
const memories = new WeakMap<StateFile, Map<string, StateData>>();

/** The state of `state` for one app, read afresh from its file for each call (another process may have written it). Internal. */
export function stateFor(state: StateFile, apiKey: string, apiSecret: string): StateData {
  if (state.path !== undefined) return StateData.open(state.path, apiKey, apiSecret);
  let byApp = memories.get(state);
  if (!byApp) memories.set(state, (byApp = new Map()));
  const key = `${apiKey}\u0000${apiSecret}`;
  let data = byApp.get(key);
  if (!data) byApp.set(key, (data = StateData.open(undefined, apiKey, apiSecret)));
  return data;
}
