import type { AppState, Rec, TaskRecord } from './store.js';
import { nowIso } from './validate.js';

export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed';

/**
 * Async tasks (DeleteUsers, DeactivateUsers, ReactivateUsers, ExportUsers, ImportBlockList, …): pending for
 * `stepMs`, running for another `stepMs`, then completed or failed. The work itself (`finish`) runs once, at
 * completion, so a client that does not wait for the task does not see its effect early.
 *
 * With `--data FILE`, closing the emulator first runs the work of every task still pending or running
 * ({@link Tasks.finishAll}), so a task that was accepted is never lost; `save()` on a running emulator settles only
 * the tasks that are due. A task restored from a file that was saved before its work ran (a crash after an explicit
 * `save()`) comes back `failed` (see resources/tasks.ts), never `completed` without its effect.
 */
export class Tasks {
  constructor(
    private stepMs: number,
    /** A fresh id; `taken` says which ids are already in use. */
    private readonly newId: (taken: (id: string) => boolean) => string,
  ) {}

  setStep(ms: number): void {
    this.stepMs = ms;
  }

  create(app: AppState, type: string, nowMs: number, finish: TaskRecord['finish']): string {
    const id = this.newId((candidate) => app.tasks.has(candidate));
    const task: TaskRecord = {
      id,
      type,
      created_at: nowIso(nowMs),
      running_at: nowMs + this.stepMs,
      done_at: nowMs + 2 * this.stepMs,
      finish,
    };
    app.tasks.set(id, task);
    if (this.stepMs === 0) this.complete(task);
    return id;
  }

  status(task: TaskRecord, nowMs: number): TaskStatus {
    if (nowMs >= task.done_at) {
      this.complete(task);
      return task.error ? 'failed' : 'completed';
    }
    return nowMs >= task.running_at ? 'running' : 'pending';
  }

  /** Runs due work for every task of `app` (called on each request, so effects land on time without timers). */
  settle(app: AppState, nowMs: number): void {
    for (const t of app.tasks.values()) if (!t.finished && nowMs >= t.done_at) this.complete(t);
  }

  /** Runs the work of every unfinished task of `app` now, due or not (on close, before the state is saved). */
  finishAll(app: AppState, nowMs: number): void {
    for (const t of app.tasks.values()) {
      if (t.finished) continue;
      t.running_at = Math.min(t.running_at, nowMs);
      t.done_at = Math.min(t.done_at, nowMs);
      this.complete(t);
    }
  }

  private complete(task: TaskRecord): void {
    if (task.finished) return;
    task.finished = true;
    const out = task.finish?.() ?? {};
    task.finish = undefined;
    if (out.result) task.result = out.result;
    if (out.error) task.error = { type: 'Error', description: out.error, stacktrace: '', version: 'v2' };
  }
}

export function taskView(tasks: Tasks, task: TaskRecord, nowMs: number): Rec {
  const status = tasks.status(task, nowMs);
  const updatedMs = status === 'pending' ? Date.parse(task.created_at) : status === 'running' ? task.running_at : task.done_at;
  const body: Rec = { task_id: task.id, status, created_at: task.created_at, updated_at: nowIso(updatedMs) };
  if (status === 'completed') body.result = task.result ?? {};
  if (status === 'failed' && task.error) body.error = task.error;
  return body;
}
