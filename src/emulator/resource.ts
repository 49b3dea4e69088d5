import type { Route } from './router.js';
import type { AppState } from './store.js';

/**
 * How one slice of an app's state starts out and how it is written to and read from `--data FILE`. `load` gets
 * what `save` wrote, or `undefined` when the file predates the slice.
 */
export interface Slice<T> {
  empty(): T;
  save(value: T): unknown;
  load(raw: unknown): T;
}

/** Slices keyed by the `AppState` field they fill: a slice must produce exactly that field's type. */
export type Slices = { [K in Exclude<keyof AppState, 'key' | 'secret'>]?: Slice<AppState[K]> };

/** What a new app is given: its display name and the emulator's clock when it was created. */
export interface SeedContext {
  name: string;
  now: number;
}

/**
 * One resource of the API: the state it owns, the built-ins a new app has of it, and the operations that serve
 * it. A module declares its slice's type by adding it to `AppState` (`declare module '…/store.js'`) and its
 * behaviour here; resources/index.ts registers it with one line.
 */
export interface Resource {
  /** Names the resource in the registry's own errors. */
  name: string;
  state?: Slices;
  seed?(app: AppState, seed: SeedContext): void;
  /** Its endpoints, each declared beside its handler with `route()` (router.ts); tried and listed in this order. */
  routes: readonly Route[];
}

/** A map slice, saved as an array of entries (JSON has no maps). */
export const mapSlice = <V>(): Slice<Map<string, V>> => ({
  empty: () => new Map(),
  save: (map) => [...map.entries()],
  load: (raw) => new Map(Array.isArray(raw) ? (raw as [string, V][]) : []),
});

/** A plain JSON value (an object, or `null` until set), saved as it is. */
export const valueSlice = <T>(initial: () => T): Slice<T> => ({
  empty: initial,
  save: (value) => value,
  load: (raw) => (raw ?? initial()) as T,
});

/**
 * A map slice whose app starts with built-ins: a data file written before the slice existed gets them, dated at the
 * epoch because the file does not say when its apps were created.
 */
export const builtinMapSlice = <V>(builtins: (at: string) => Map<string, V>): Slice<Map<string, V>> => ({
  ...mapSlice<V>(),
  load: (raw) => (raw === undefined ? builtins(new Date(0).toISOString()) : mapSlice<V>().load(raw)),
});
