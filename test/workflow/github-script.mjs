/* Runs an actions/github-script step's `script` in the step's working directory, with `github` (the few REST
 * calls on pull-request comments, kept in $FAKE_COMMENTS as JSON) and `context` (from $FAKE_CONTEXT) as
 * github-script provides them. The script comes in $FAKE_SCRIPT. */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const store = process.env.FAKE_COMMENTS;
const load = () => (existsSync(store) ? JSON.parse(readFileSync(store, 'utf8')) : []);
const save = (comments) => writeFileSync(store, JSON.stringify(comments, null, 2));

const github = {
  paginate: async (method, params) => (await method(params)).data,
  rest: {
    issues: {
      listComments: async ({ issue_number }) => ({ data: load().filter((c) => c.issue_number === issue_number) }),
      createComment: async ({ issue_number, body }) => {
        const comments = load();
        const comment = { id: comments.length + 1, issue_number, body };
        save([...comments, comment]);
        return { data: comment };
      },
      updateComment: async ({ comment_id, body }) => {
        const comments = load();
        const comment = comments.find((c) => c.id === comment_id);
        if (!comment) throw new Error(`no comment ${comment_id}`);
        comment.body = body;
        save(comments);
        return { data: comment };
      },
    },
  },
};

const context = JSON.parse(process.env.FAKE_CONTEXT);
const AsyncFunction = (async () => {}).constructor;
const run = new AsyncFunction('require', 'github', 'context', 'core', process.env.FAKE_SCRIPT);
const core = { info: (m) => console.log(m), warning: (m) => console.log(`::warning::${m}`), setFailed: (m) => { console.error(m); process.exitCode = 1; } };
await run(createRequire(`${process.cwd()}/`), github, context, core);
