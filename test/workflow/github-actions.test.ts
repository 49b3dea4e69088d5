import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/server.js';
import { CLI, runCli } from '../support/cli.js';
import { Actions, type Files, type JobResult, Repo, WORKFLOW, edits, parseKeyValueFile, runBash } from './actions.js';
import { evaluate } from './expressions.js';
import { isWrite } from '../support/emulator.js';

/* The GitHub Actions example (config.example/github-actions/stream-sync.yml) replayed against an emulator
 * app: the workflow's own `run:` steps, read from the file, with the built CLI as $STREAM_SYNC, a simulated
 * history of pull requests, merges and runs, and a fake `gh` (see actions.ts). Each scenario starts from the
 * same app and main. The replay needs bash and jq, as GitHub's ubuntu runners have. REPLAY_CLI=path/to/cli.js
 * replays against another build of stream-sync (an older one, to see which scenarios it fails). */

const KEY = 'wf-key';
const SECRET = 'wf-secret-value';

const BASE: Files = {
  'stream/main.yaml': `version: 1
app:
  expect_name: wf-app
policy:
  prune: [blocklists]
  max_deletes: 1
`,
  'stream/words.yaml': `version: 1
blocklists:
  - name: words-a
    words: [alpha]
  - name: words-b
    words: [beta]
  - name: words-c
    words: [gamma]
`,
};

/** A pull request that adds a file with one block list. */
const addBlocklist = (name: string) => edits.write(`stream/${name}.yaml`, `version: 1\nblocklists:\n  - name: ${name}\n    words: [${name}-word]\n`);
/** A pull request that removes words-b and words-c: two deletes, one more than policy.max_deletes. */
const removeTwo = edits.write('stream/words.yaml', 'version: 1\nblocklists:\n  - name: words-a\n    words: [alpha]\n');

const hasJq = spawnSync('jq', ['--version']).status === 0;

// Each scenario runs a few workflow runs of a few CLI runs each: seconds alone, more beside the rest of the suite.
describe.runIf(hasJq)('the GitHub Actions example, replayed against the emulator', { timeout: 120_000 }, () => {
  let emu: RunningEmulator;
  let repo: Repo;
  let gha: Actions;

  const blocklists = () =>
    Object.fromEntries(
      [...emu.app(KEY).blocklists.values()]
        .map((b: any) => [b.name as string, { words: [...(b.words as string[])].sort(), leet: Boolean(b.is_leet_check_enabled) }] as const)
        .filter(([name]) => name !== 'profanity_en_2020_v1')
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  const names = () => Object.keys(blocklists());
  const writes = () => emu.requests.filter((r) => r.apiKey === KEY && isWrite(r)).length;
  const env = () => ({ STREAM_API_KEY: KEY, STREAM_API_SECRET: SECRET, STREAM_BASE_URL: emu.url });

  /** Fails with the job's whole log, which is what one reads on GitHub too. */
  const expectJob = (job: JobResult, status: JobResult['status']) => expect(job.status, job.log).toBe(status);

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, rateLimits: 'off', taskStepMs: 0, apps: [{ key: KEY, secret: SECRET, name: 'wf-app' }] });
  });
  afterAll(async () => {
    await emu?.close();
  });

  beforeEach(async () => {
    // The app as main describes it, whatever the scenario before left behind.
    const dir = mkdtempSync(join(tmpdir(), 'wf-reset-'));
    for (const [path, text] of Object.entries(BASE)) {
      mkdirSync(join(dir, 'stream'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const reset = await runCli(['apply', '-f', join(dir, 'stream'), '--state-file', join(dir, 'state.json'), '--allow-deletes', '100'], env());
    rmSync(dir, { recursive: true, force: true });
    expect(reset.code, reset.stderr).toBe(0);
    expect(names()).toEqual(['words-a', 'words-b', 'words-c']);
    repo = new Repo(BASE);
    gha = new Actions({
      workflowFile: WORKFLOW,
      repo,
      vars: { STREAM_APP: 'wf-app', STREAM_BASE_URL: emu.url },
      secrets: { STREAM_API_KEY: KEY, STREAM_API_SECRET: SECRET, STREAM_SQS_SECRET: 'unused' },
      env: { STREAM_SYNC: `${process.execPath} ${process.env.REPLAY_CLI ?? CLI}` },
    });
  });
  afterEach(() => gha?.close());

  /** Opens a pull request and runs its plan, which must succeed. */
  const planned = async (edit: (f: Files) => Files, labels: string[] = []) => {
    const pr = repo.openPullRequest(edit, labels);
    const run = await gha.pullRequest(pr.number);
    expectJob(run.job('plan'), 'success');
    expect(run.job('apply').status).toBe('skipped');
    return { pr, run };
  };

  it('plans a pull request: validate, a Markdown plan as a comment (updated in place), plan.json kept; no write', async () => {
    const before = writes();
    const { pr, run } = await planned(addBlocklist('pr-a'));
    const plan = run.job('plan');
    expect(plan.step('Plan').outputs).toEqual({ changes: 'true' });
    expect(plan.step('Validate (offline)').stdout).toMatch(/valid/);
    const [comment] = gha.comments(pr.number);
    expect(comment).toMatch(/^<!-- stream-sync plan -->\n### stream-sync plan: changes to apply on merge/);
    expect(comment).toContain('blocklist/pr-a');
    expect(plan.summary).toContain('blocklist/pr-a');
    // A second push to the pull request updates the same comment.
    await gha.pullRequest(pr.number);
    expect(gha.comments(pr.number)).toHaveLength(1);
    expect(writes()).toBe(before);
  });

  it('two pull requests planned against the same app, merged one after the other: both reviewed plans apply when they touch different objects', async () => {
    const a = await planned(addBlocklist('pr-a'));
    const b = await planned(edits.replace('stream/words.yaml', '[beta]', '[beta, beta2]'));

    const first = await gha.push(repo.merge(a.pr.number));
    expectJob(first.job('apply'), 'success');
    expect(first.job('apply').log).toContain(`Applying the plan reviewed on #${a.pr.number}`);
    expect(names()).toContain('pr-a');

    // b's plan was made before a was applied; a's changes touched none of b's objects.
    const second = await gha.push(repo.merge(b.pr.number));
    expectJob(second.job('apply'), 'success');
    expect(second.job('apply').log).toContain(`Applying the plan reviewed on #${b.pr.number}`);
    expect(second.job('apply').step('Apply').stdout).toContain('Apply complete: 0 created, 1 updated, 0 deleted.');
    expect(second.job('apply').step('Anything left?').stdout).not.toContain('::warning::');
    expect(blocklists()['words-b']!.words).toEqual(['beta', 'beta2']);
    expect(names()).toEqual(['pr-a', 'words-a', 'words-b', 'words-c']);
  });

  it('two pull requests that change the same object: the second merge is refused, names the object, and writes nothing', async () => {
    const c = await planned(edits.replace('stream/words.yaml', '[alpha]', '[alpha, alpha2]'));
    const d = await planned(edits.replace('stream/words.yaml', '  - name: words-a\n', '  - name: words-a\n    is_leet_check_enabled: true\n'));

    const first = await gha.push(repo.merge(c.pr.number));
    expectJob(first.job('apply'), 'success');
    expect(blocklists()['words-a']!.words).toEqual(['alpha', 'alpha2']);

    const before = writes();
    const second = await gha.push(repo.merge(d.pr.number));
    expect(second.conclusion).toBe('failure');
    const apply = second.job('apply').step('Apply');
    expect(apply.outcome, second.job('apply').log).toBe('failure');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/the live state has changed since the plan reviewed\/plan\.json was made: blocklist\/words-a changed/);
    expect(apply.stderr).toContain('nothing was applied');
    expect(writes()).toBe(before);
    expect(blocklists()['words-a']!.leet).toBe(false);
    // The state cache is saved even so.
    expect(second.job('apply').step('Save the state file').outcome).toBe('success');
  });

  it('a merge after the reviewed plan expired applies a fresh plan of main, shown in the job summary; the delete guard still holds', async () => {
    const e = await planned(addBlocklist('pr-e'));
    gha.expireArtifacts(e.run.id);
    const run = await gha.push(repo.merge(e.pr.number));
    const job = run.job('apply');
    expectJob(job, 'success');
    expect(job.log).toContain('no reviewed plan (expired): applying a fresh plan of main');
    expect(job.summary).toContain('no reviewed plan (expired): applying a fresh plan of main');
    expect(job.summary).toMatch(/### stream-sync plan for <code>wf-app<\/code>/);
    expect(job.summary).toContain('blocklist/pr-e');
    expect(names()).toContain('pr-e');

    // Two deletes, one more than policy.max_deletes, and no label: the fresh plan is refused too.
    const f = await planned(removeTwo);
    gha.expireArtifacts(f.run.id);
    const before = writes();
    const refused = await gha.push(repo.merge(f.pr.number));
    expect(refused.conclusion).toBe('failure');
    expect(refused.job('apply').log).toContain('no reviewed plan (expired): applying a fresh plan of main');
    expect(refused.job('apply').step('Apply').stderr).toMatch(/the plan deletes 2 objects, more than policy\.max_deletes \(1\): nothing was applied/);
    expect(writes()).toBe(before);
    expect(names()).toEqual(['pr-e', 'words-a', 'words-b', 'words-c']);
  });

  it('re-running the run of a merge already applied succeeds and writes nothing, also once later merges changed the app', async () => {
    const g = await planned(addBlocklist('pr-g'));
    const merged = await gha.push(repo.merge(g.pr.number));
    expectJob(merged.job('apply'), 'success');
    const before = writes();

    const rerun = await gha.rerun(merged.id);
    expect(rerun.attempt).toBe(2);
    expectJob(rerun.job('apply'), 'success');
    expect(rerun.job('apply').log).toContain(`The app already matches ${merged.sha}: nothing to apply.`);
    expect(rerun.job('apply').step('Apply').outcome).toBe('skipped');
    expect(writes()).toBe(before);

    // After another merge, the old commit's files differ from the app (they lack pr-h): still nothing to do.
    const h = await planned(addBlocklist('pr-h'));
    expectJob((await gha.push(repo.merge(h.pr.number))).job('apply'), 'success');
    const afterH = writes();
    const late = await gha.rerun(merged.id);
    expectJob(late.job('apply'), 'success');
    expect(late.job('apply').log).toContain(`Attempt 2 of this run already applied ${merged.sha}: nothing to apply.`);
    expect(writes()).toBe(afterH);
    expect(names()).toEqual(['pr-g', 'pr-h', 'words-a', 'words-b', 'words-c']);

    // A manual run with nothing to do is a success too.
    const manual = await gha.dispatch();
    expectJob(manual.job('apply'), 'success');
    expect(manual.job('apply').log).toContain('nothing to apply');
    expect(writes()).toBe(afterH);
  });

  it('a plan deleting more than policy.max_deletes without the label: a warning on the pull request, refused on merge; a manual run with allow_deletes applies it', async () => {
    const k = await planned(removeTwo);
    const [comment] = gha.comments(k.pr.number);
    // The CLI's own warning (Markdown escapes the underscores).
    expect(comment!.replaceAll('&#95;', '_')).toContain('the plan deletes 2 objects, more than policy.max_deletes (1): apply will refuse it before any write unless run with --allow-deletes 2');
    expect(comment).toContain('unless this pull request has the label `stream-sync/allow-deletes:2`');

    const before = writes();
    const merged = await gha.push(repo.merge(k.pr.number));
    expect(merged.conclusion).toBe('failure');
    const apply = merged.job('apply').step('Apply');
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/the plan deletes 2 objects, more than policy\.max_deletes \(1\): nothing was applied/);
    expect(writes()).toBe(before);

    // A manual run with allow_deletes 0 (or none) is held by the same guard.
    const plain = await gha.dispatch({ allow_deletes: 0 });
    expect(plain.conclusion).toBe('failure');
    expect(plain.job('apply').step('Apply').stderr).toMatch(/more than policy\.max_deletes \(1\)/);
    expect(writes()).toBe(before);

    const allowed = await gha.dispatch({ allow_deletes: 2 });
    const job = allowed.job('apply');
    expectJob(job, 'success');
    expect(job.log).toContain('Manual run: applying a fresh plan of main (allow_deletes: 2)');
    expect(job.summary).toContain('blocklist/words-b');
    expect(job.step('Apply').stdout).toContain('Apply complete: 0 created, 0 updated, 2 deleted.');
    expect(names()).toEqual(['words-a']);
  });

  it('a pull request labelled stream-sync/allow-deletes:N applies its larger delete on merge', async () => {
    const l = await planned(removeTwo, ['stream-sync/allow-deletes:2']);
    const [comment] = gha.comments(l.pr.number);
    expect(comment).toContain('the label `stream-sync/allow-deletes:2` allows it (the apply on merge runs with `--allow-deletes 2`)');

    const merged = await gha.push(repo.merge(l.pr.number));
    const job = merged.job('apply');
    expectJob(job, 'success');
    expect(job.log).toContain(`Applying the plan reviewed on #${l.pr.number}`);
    expect(job.log).toContain('with --allow-deletes 2 (label)');
    expect(job.step('Apply').stdout).toContain('Apply complete: 0 created, 0 updated, 2 deleted.');
    expect(names()).toEqual(['words-a']);
  });

  it('merges whose runs were held up: an expired plan of a commit that is no longer main\'s head is refused, the next merge applies only its own plan and warns, a manual run applies the rest', async () => {
    const m = await planned(addBlocklist('pr-m'));
    const n = await planned(addBlocklist('pr-n'));
    gha.expireArtifacts(m.run.id);
    const mergeM = repo.merge(m.pr.number);
    const mergeN = repo.merge(n.pr.number);

    // m's run starts after n merged: a fresh plan of m's commit would not be of main.
    const before = writes();
    const late = await gha.push(mergeM);
    expect(late.conclusion).toBe('failure');
    expect(late.job('apply').step('Find the reviewed plan').stdout).toMatch(new RegExp(`::error::no reviewed plan \\(expired\\), and ${mergeM.sha} is no longer the head of main \\(${mergeN.sha}\\)`));
    expect(late.job('apply').step('Apply').outcome).toBe('skipped');
    expect(writes()).toBe(before);

    // n's merge commit holds m's file too: only n's reviewed change is applied, and the rest is reported.
    const next = await gha.push(mergeN);
    const job = next.job('apply');
    expectJob(job, 'success');
    expect(job.step('Apply').stdout).toContain('Apply complete: 1 created, 0 updated, 0 deleted.');
    expect(names()).toEqual(['pr-n', 'words-a', 'words-b', 'words-c']);
    expect(job.step('Anything left?').stdout).toContain('::warning::the reviewed plan is applied, but the app still differs');
    expect(job.summary).toContain('blocklist/pr-m');

    const manual = await gha.dispatch();
    expectJob(manual.job('apply'), 'success');
    expect(names()).toEqual(['pr-m', 'pr-n', 'words-a', 'words-b', 'words-c']);
  });

  it('a push that did not come from a pull request has no reviewed plan: refused, nothing written', async () => {
    repo.commits.push({ sha: 'f'.repeat(40), files: addBlocklist('direct')(repo.head.files) });
    const before = writes();
    const run = await gha.push(repo.head);
    expect(run.conclusion).toBe('failure');
    expect(run.job('apply').step('Find the reviewed plan').stdout).toContain('was not merged from a pull request: there is no reviewed plan to apply');
    expect(writes()).toBe(before);
  });

  it('keeps the state file in the Actions cache, one per app, a new key per attempt', async () => {
    const p = await planned(addBlocklist('pr-p'));
    const run = await gha.push(repo.merge(p.pr.number));
    expect(run.job('apply').step('Save the state file').stdout).toBe(`Cache saved with key: stream-sync-state-wf-app-run-${run.id}-1`);
    const again = await gha.rerun(run.id);
    expect(again.job('apply').step('Restore the state file').stdout).toBe(`Cache restored from key: stream-sync-state-wf-app-run-${run.id}-1`);
    expect(again.job('apply').step('Save the state file').stdout).toBe(`Cache saved with key: stream-sync-state-wf-app-run-${run.id}-2`);
    const next = await gha.pullRequest(p.pr.number);
    expect(next.job('plan').step('Restore the state file').stdout).toMatch(/^Cache restored from key: stream-sync-state-wf-app-run-/);
  });
});

describe('the GitHub Actions example, statically', () => {
  const repo = new Repo(BASE);
  const gha = new Actions({ workflowFile: WORKFLOW, repo });
  afterAll(() => gha.close());
  const { workflow } = gha;

  it('needs jq for the replay, as GitHub\'s runners have it', () => {
    expect(hasJq, 'install jq to replay the workflow').toBe(true);
  });

  it('runs stream-sync in the published image as the runner\'s user when $STREAM_SYNC is not set', async () => {
    for (const job of ['plan', 'apply']) {
      const step = (workflow.jobs[job].steps as any[]).find((s) => s.name === 'The stream-sync command');
      const dir = mkdtempSync(join(tmpdir(), 'wf-setup-'));
      const githubEnv = join(dir, 'env');
      writeFileSync(githubEnv, '');
      const r = await runBash(step.run, { cwd: dir, file: join(dir, 'step.sh'), env: { PATH: process.env.PATH, GITHUB_ENV: githubEnv, STREAM_SYNC_IMAGE: workflow.env.STREAM_SYNC_IMAGE } });
      expect(r.code, r.stderr).toBe(0);
      const uid = `${process.getuid!()}:${process.getgid!()}`;
      expect(parseKeyValueFile(githubEnv).STREAM_SYNC).toBe(
        `docker run --rm --user ${uid} -v ${dir}:/work -w /work -e STREAM_API_KEY -e STREAM_API_SECRET -e STREAM_BASE_URL -e STREAM_SQS_SECRET ghcr.io/acme/stream-sync:0.1.0`,
      );
      // Already set (a local run, this replay): left alone.
      writeFileSync(githubEnv, '');
      await runBash(step.run, { cwd: dir, file: join(dir, 'step.sh'), env: { PATH: process.env.PATH, GITHUB_ENV: githubEnv, STREAM_SYNC: 'node dist/cli.js' } });
      expect(readFileSync(githubEnv, 'utf8')).toBe('');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has one concurrency group per app for merges and manual runs, never cancelled midway', () => {
    const apply = workflow.jobs.apply;
    expect(apply.if).toMatch(/push/);
    expect(apply.if).toMatch(/workflow_dispatch/);
    expect(apply.concurrency['cancel-in-progress']).toBe(false);
    const group = (vars: Record<string, string>) => String(apply.concurrency.group).replace(/\$\{\{(.*?)\}\}/g, (_: string, e: string) => String(evaluate(e, { vars })));
    expect(group({ STREAM_APP: 'acme-prod' })).toBe('stream-sync-acme-prod');
    expect(group({})).toBe('stream-sync-default');
  });
});
