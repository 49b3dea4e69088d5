import { z } from 'zod';
import { inputError, orNotFound } from '../errors.js';
import { mapSlice, type Resource } from '../resource.js';
import { route, type RequestContext } from '../router.js';
import type { AppState, Rec } from '../store.js';
import { nowIso, parseInput, queryInt } from '../validate.js';
import { appPk } from './usergroups.js';

declare module '../store.js' {
  interface AppState {
    imports: Map<string, Rec>;
    importsV2: Map<string, Rec>;
  }
}

/**
 * Data imports, v1 (`/imports`, string states) and v2 (`/imports/v2`, integer states). Each import is driven by
 * an emulator task (so it progresses on the emulator's task clock, and at once in tests); the task id is kept in
 * the stored record under `_task`, which no response shows, so GetTask never finds an import.
 *
 * v1 runs `uploaded` → `analyzing` → `completed`: Stream's `waiting_for_confirmation` step waits for its support
 * staff, which an emulator does not have. v2's integer codes are not published; the emulator uses IMPORT_V2_STATE.
 */

export const IMPORT_V2_STATE = { queued: 1, processing: 2, completed: 3, failed: 4, cancelled: 5 } as const;

const PRIVATE = '_task';
const view = ({ [PRIVATE]: _task, ...rec }: Rec): Rec => rec;

/** Stores a new import with the task that drives it; `fields` come between `id` and the timestamps, as answered. */
function startImport(ctx: RequestContext, records: Map<string, Rec>, taskType: string, fields: Rec): Rec {
  const at = nowIso(ctx.now);
  const rec: Rec = { id: ctx.newId(undefined, (id) => records.has(id)), ...fields, created_at: at, updated_at: at };
  rec[PRIVATE] = ctx.tasks.create(ctx.app, taskType, ctx.now, undefined);
  records.set(rec.id, rec);
  return rec;
}

/** Where the task behind `rec` is now, and when it got there. */
function progress(ctx: RequestContext, rec: Rec): { phase: 'pending' | 'running' | 'completed' | 'failed'; runningAt: number; doneAt: number } {
  const task = ctx.app.tasks.get(rec[PRIVATE]);
  if (!task) return { phase: 'completed', runningAt: ctx.now, doneAt: ctx.now };
  return { phase: ctx.tasks.status(task, ctx.now), runningAt: task.running_at, doneAt: task.done_at };
}

// ---- v1 ----------------------------------------------------------------------------------------------------

const V1_PHASES = { pending: 'uploaded', running: 'analyzing', completed: 'completed', failed: 'failed' } as const;

/** Brings a v1 import up to date with its task, recording each state change in `history`. */
function refreshV1(ctx: RequestContext, rec: Rec): Rec {
  const { phase, runningAt, doneAt } = progress(ctx, rec);
  const steps: [string, number][] = [];
  if (phase !== 'pending') steps.push([V1_PHASES.running, runningAt]);
  if (phase === 'completed' || phase === 'failed') steps.push([V1_PHASES[phase], doneAt]);
  for (const [next, at] of steps) {
    if (rec.history.some((h: Rec) => h.next_state === next)) continue;
    rec.history.push({ created_at: nowIso(at), prev_state: rec.state, next_state: next });
    rec.state = next;
    rec.updated_at = nowIso(at);
  }
  return view(rec);
}

const findV1 = (app: AppState, id: string): Rec => orNotFound(app.imports.get(id), `import ${id} does not exist`);

const importUrlSchema = z.object({ filename: z.string().min(1).max(255) });
const createImportSchema = z.object({ path: z.string().min(1), mode: z.enum(['insert', 'upsert']), merge_custom: z.boolean().optional() });

// ---- v2 ----------------------------------------------------------------------------------------------------

const TERMINAL_V2: number[] = [IMPORT_V2_STATE.completed, IMPORT_V2_STATE.failed, IMPORT_V2_STATE.cancelled];

function refreshV2(ctx: RequestContext, rec: Rec): Rec {
  if (!TERMINAL_V2.includes(rec.state)) {
    const { phase, runningAt, doneAt } = progress(ctx, rec);
    const state = phase === 'pending' ? IMPORT_V2_STATE.queued : phase === 'running' ? IMPORT_V2_STATE.processing : IMPORT_V2_STATE[phase];
    if (state !== rec.state) {
      rec.state = state;
      rec.updated_at = nowIso(phase === 'running' ? runningAt : doneAt);
    }
  }
  return view(rec);
}

const findV2 = (app: AppState, id: string): Rec => orNotFound(app.importsV2.get(id), `import task ${id} does not exist`);

const createV2Schema = z.object({
  product: z.enum(['chat', 'feeds']),
  settings: z.object({
    mode: z.string().optional(),
    path: z.string().optional(),
    merge_custom: z.boolean().optional(),
    skip_references_check: z.boolean().optional(),
    use_import_time_as_op_time: z.boolean().optional(),
    s3: z.object({ bucket: z.string().optional(), dir: z.string().optional(), region: z.string().optional() }).optional(),
  }),
  user_id: z.string().optional(),
  user: z.object({ id: z.string().min(1) }).optional(),
});

const newestFirst = (a: Rec, b: Rec) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? -1 : 1);

const createImportURL = route('POST', '/api/v2/import_urls', 'CreateImportURL', (ctx) => {
  const { filename } = parseInput(importUrlSchema, ctx.body);
  const key = `${appPk(ctx.app)}/${ctx.newId()}/${encodeURIComponent(filename)}`;
  // A presigned-upload look-alike: the emulator has no bucket, so nothing is ever fetched from it.
  return {
    path: `s3://stream-import/${key}`,
    upload_url: `https://stream-import.s3.emulator.invalid/${key}?X-Amz-Expires=3600&X-Amz-Date=${nowIso(ctx.now).replace(/[-:]|\.\d+/g, '')}`,
  };
});

const listImports = route('GET', '/api/v2/imports', 'ListImports', (ctx) => ({ import_tasks: [...ctx.app.imports.values()].map((r) => refreshV1(ctx, r)).sort(newestFirst) }));

const createImport = route('POST', '/api/v2/imports', 'CreateImport', (ctx) => {
  const input = parseInput(createImportSchema, ctx.body);
  const rec = startImport(ctx, ctx.app.imports, 'import', { path: input.path, mode: input.mode, state: V1_PHASES.pending, history: [] });
  return { import_task: refreshV1(ctx, rec) };
});

const getImport = route('GET', '/api/v2/imports/{id}', 'GetImport', (ctx) => ({ import_task: refreshV1(ctx, findV1(ctx.app, ctx.params.id!)) }));

const listImportV2Tasks = route('GET', '/api/v2/imports/v2', 'ListImportV2Tasks', (ctx) => {
  const state = queryInt(ctx.query, 'state');
  const tasks = [...ctx.app.importsV2.values()].map((r) => refreshV2(ctx, r)).filter((r) => state === undefined || r.state === state);
  return { import_tasks: tasks.sort(newestFirst) };
});

const createImportV2Task = route('POST', '/api/v2/imports/v2', 'CreateImportV2Task', (ctx) => {
  const input = parseInput(createV2Schema, ctx.body);
  const rec = startImport(ctx, ctx.app.importsV2, 'import_v2', { app_pk: appPk(ctx.app), product: input.product, state: IMPORT_V2_STATE.queued, settings: input.settings });
  return refreshV2(ctx, rec);
});

const getImportV2Task = route('GET', '/api/v2/imports/v2/{id}', 'GetImportV2Task', (ctx) => refreshV2(ctx, findV2(ctx.app, ctx.params.id!)));

const deleteImportV2Task = route('DELETE', '/api/v2/imports/v2/{id}', 'DeleteImportV2Task', (ctx) => {
  const rec = findV2(ctx.app, ctx.params.id!);
  if (refreshV2(ctx, rec).state !== IMPORT_V2_STATE.queued) {
    throw inputError(`import task ${rec.id} is not queued: only queued tasks can be deleted`);
  }
  ctx.app.importsV2.delete(rec.id);
  ctx.app.tasks.delete(rec[PRIVATE]);
  return {};
});

const cancelImportV2Task = route('POST', '/api/v2/imports/v2/{id}/cancel', 'CancelImportV2Task', (ctx) => {
  const rec = findV2(ctx.app, ctx.params.id!);
  const { state } = refreshV2(ctx, rec);
  if (state !== IMPORT_V2_STATE.queued && state !== IMPORT_V2_STATE.processing) {
    throw inputError(`import task ${rec.id} is not queued or processing: it cannot be cancelled`);
  }
  rec.state = IMPORT_V2_STATE.cancelled;
  rec.updated_at = nowIso(ctx.now);
  return {};
});

export const imports: Resource = {
  name: 'imports',
  state: { imports: mapSlice(), importsV2: mapSlice() },
  routes: [
    createImportURL, listImports, createImport, getImport,
    listImportV2Tasks, createImportV2Task, getImportV2Task, deleteImportV2Task, cancelImportV2Task,
  ],
};
