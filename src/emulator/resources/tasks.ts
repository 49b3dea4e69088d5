import { orNotFound } from '../errors.js';
import { mapSlice, type Resource, type Slice } from '../resource.js';
import { route } from '../router.js';
import type { TaskRecord } from '../store.js';
import { taskView } from '../tasks.js';

/** The error of a task whose work was lost: it was saved unfinished and the emulator restarted. */
export const RESTARTED_TASK_ERROR = 'the emulator restarted before the task ran';

const entries = mapSlice<TaskRecord>();

/** Task records persist without their work (`finish`, a closure); one restored unfinished can only have failed. */
const taskSlice: Slice<Map<string, TaskRecord>> = {
  empty: entries.empty,
  save: (tasks) => entries.save(new Map([...tasks].map(([id, task]) => [id, { ...task, finish: undefined }]))),
  load: (raw) => {
    const tasks = entries.load(raw);
    for (const task of tasks.values()) {
      if (task.finished) continue;
      task.finished = true;
      task.running_at = task.done_at = Date.parse(task.created_at);
      task.error = { type: 'Error', description: RESTARTED_TASK_ERROR, stacktrace: '', version: 'v2' };
    }
    return tasks;
  },
};

const getTask = route('GET', '/api/v2/tasks/{id}', 'GetTask', ({ app, params, tasks, now }) =>
  taskView(tasks, orNotFound(app.tasks.get(params.id!), `task ${params.id} does not exist`), now),
);

export const tasks: Resource = {
  name: 'tasks',
  state: { tasks: taskSlice },
  routes: [getTask],
};
