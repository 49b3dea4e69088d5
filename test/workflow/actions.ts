import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type Contexts, condition, interpolate } from './expressions.js';

/* A replay of a GitHub Actions workflow on this machine, for the example in config.example/github-actions: the
 * workflow's own `run:` steps run with bash in a temporary checkout, in order, with the GITHUB_* variables and
 * files a runner provides (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH); `${{ … }}` in
 * `env:`, `with:` and `if:` goes through a small evaluator (expressions.ts); the `uses:` steps it meets are
 * simulated (checkout = the files of the commit, cache and artifacts = temporary stores, github-script = the
 * script run against a fake REST client that keeps comments); and `gh` is a fake on the PATH (fake-gh.mjs)
 * that answers from the simulated history: pull requests, runs, their attempts and artifacts. */

const HERE = dirname(fileURLToPath(import.meta.url));
export type Files = Record<string, string>;
type Obj = Record<string, any>;

const newSha = () => randomBytes(20).toString('hex');

export interface Commit {
  sha: string;
  files: Files;
}

export interface PullRequest {
  number: number;
  /** The pull request's last commit: what its plan runs are recorded under. */
  headSha: string;
  /** The change the pull request makes, applied to main as it is when planned (the test merge) or merged. */
  edit: (files: Files) => Files;
  labels: string[];
  mergeSha?: string;
  mergedAt?: string;
}

/** The repository: main's history of files, and pull requests as edits on top of main. */
export class Repo {
  readonly commits: Commit[];
  readonly pulls = new Map<number, PullRequest>();
  private next = 1;

  constructor(files: Files) {
    this.commits = [{ sha: newSha(), files }];
  }

  get head(): Commit {
    return this.commits.at(-1)!;
  }

  openPullRequest(edit: (files: Files) => Files, labels: string[] = []): PullRequest {
    const pr = { number: this.next++, headSha: newSha(), edit, labels };
    this.pulls.set(pr.number, pr);
    return pr;
  }

  pull(n: number): PullRequest {
    const pr = this.pulls.get(n);
    if (!pr) throw new Error(`no pull request #${n}`);
    return pr;
  }

  merge(n: number): Commit {
    const pr = this.pull(n);
    const commit = { sha: newSha(), files: pr.edit(this.head.files) };
    this.commits.push(commit);
    Object.assign(pr, { mergeSha: commit.sha, mergedAt: new Date().toISOString() });
    return commit;
  }
}

/** Edits for pull requests. */
export const edits = {
  write: (path: string, text: string) => (files: Files) => ({ ...files, [path]: text }),
  replace: (path: string, from: string, to: string) => (files: Files) => {
    const text = files[path];
    if (text === undefined || !text.includes(from)) throw new Error(`merge conflict: ${path} has no ${JSON.stringify(from)}`);
    return { ...files, [path]: text.replace(from, to) };
  },
};

export interface StepResult {
  name: string;
  id?: string;
  outcome: 'success' | 'failure' | 'skipped';
  code?: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

export interface JobResult {
  name: string;
  status: 'success' | 'failure' | 'skipped';
  steps: StepResult[];
  /** GITHUB_STEP_SUMMARY of every step, in order. */
  summary: string;
  /** Every step's name, stdout and stderr. */
  log: string;
  /** The step named `name` (throws when there is none). */
  step(name: string): StepResult;
}

export interface RunResult {
  id: number;
  attempt: number;
  event: string;
  sha: string;
  conclusion: 'success' | 'failure';
  jobs: Record<string, JobResult>;
  job(name: string): JobResult;
}

interface Trigger {
  event: 'pull_request' | 'push' | 'workflow_dispatch';
  sha: string;
  ref: string;
  /** What the run is recorded under (`gh run list --commit`): the pull request's head, else the commit. */
  headSha: string;
  checkout: Files;
  payload: Obj;
  inputs: Obj;
}

interface Artifact {
  id: number;
  name: string;
  expired: boolean;
  dir: string;
}

interface Run {
  databaseId: number;
  event: string;
  headSha: string;
  workflow: string;
  attempts: { conclusion: string | null }[];
  trigger: Trigger;
  artifacts: Artifact[];
}

export interface ActionsOptions {
  workflowFile: string;
  repo: Repo;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** The runner machine's environment, added to PATH and HOME (e.g. STREAM_SYNC). */
  env?: Record<string, string>;
  repository?: string;
}

/** Parses `name=value` and `name<<DELIMITER` blocks, as GITHUB_OUTPUT and GITHUB_ENV hold them. */
export function parseKeyValueFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`${file}: not name=value: ${line}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Runs a `run:` script as a runner's `shell: bash` does. */
export function runBash(script: string, opts: { cwd: string; env: NodeJS.ProcessEnv; file: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  writeFileSync(opts.file, script);
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', opts.file], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
}

export class Actions {
  readonly workflow: Obj;
  readonly workflowName: string;
  private readonly root = mkdtempSync(join(tmpdir(), 'gha-'));
  private readonly bin = join(this.root, 'bin');
  private readonly runs: Run[] = [];
  private readonly caches: { key: string; dir: string }[] = [];
  private readonly commentsFile = join(this.root, 'comments.json');
  private readonly ghLog = join(this.root, 'gh-calls.jsonl');
  private readonly repository: string;
  private nextId = 1000;

  constructor(private readonly opts: ActionsOptions) {
    this.workflow = parse(readFileSync(opts.workflowFile, 'utf8')) as Obj;
    this.workflowName = opts.workflowFile.split('/').pop()!;
    this.repository = opts.repository ?? 'acme/stream-config';
    mkdirSync(this.bin);
    const gh = join(this.bin, 'gh');
    writeFileSync(gh, `#!/bin/sh\nexec "${process.execPath}" "${join(HERE, 'fake-gh.mjs')}" "$@"\n`);
    chmodSync(gh, 0o755);
    writeFileSync(this.ghLog, '');
  }

  /** A `pull_request` run: the test merge of the pull request with main as it is now. */
  pullRequest(n: number): Promise<RunResult> {
    const pr = this.opts.repo.pull(n);
    return this.start({
      event: 'pull_request',
      sha: newSha(),
      ref: `refs/pull/${n}/merge`,
      headSha: pr.headSha,
      checkout: pr.edit(this.opts.repo.head.files),
      payload: { action: 'synchronize', number: n, pull_request: { number: n, head: { sha: pr.headSha }, labels: pr.labels.map((name) => ({ name })) } },
      inputs: {},
    });
  }

  /** A `push` run for a commit of main. */
  push(commit: Commit): Promise<RunResult> {
    return this.start({ event: 'push', sha: commit.sha, ref: 'refs/heads/main', headSha: commit.sha, checkout: commit.files, payload: { ref: 'refs/heads/main', after: commit.sha }, inputs: {} });
  }

  /** A manual run (`workflow_dispatch`) on main. */
  dispatch(inputs: Obj = {}): Promise<RunResult> {
    const head = this.opts.repo.head;
    return this.start({ event: 'workflow_dispatch', sha: head.sha, ref: 'refs/heads/main', headSha: head.sha, checkout: head.files, payload: { ref: 'refs/heads/main', inputs }, inputs });
  }

  /** "Re-run all jobs": the same run, event and commit, as a new attempt. */
  rerun(id: number): Promise<RunResult> {
    const run = this.run(id);
    return this.execute(run);
  }

  /** The artifacts of a run reach their retention. */
  expireArtifacts(id: number): void {
    for (const a of this.run(id).artifacts) a.expired = true;
  }

  /** The bodies of the comments on a pull request. */
  comments(n: number): string[] {
    if (!existsSync(this.commentsFile)) return [];
    return (JSON.parse(readFileSync(this.commentsFile, 'utf8')) as Obj[]).filter((c) => c.issue_number === n).map((c) => c.body as string);
  }

  /** Every `gh` call the steps made, as argument lists. */
  ghCalls(): string[][] {
    return readFileSync(this.ghLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
  }

  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private run(id: number): Run {
    const run = this.runs.find((r) => r.databaseId === id);
    if (!run) throw new Error(`no run ${id}`);
    return run;
  }

  private start(trigger: Trigger): Promise<RunResult> {
    const run: Run = { databaseId: this.nextId++, event: trigger.event, headSha: trigger.headSha, workflow: this.workflowName, attempts: [], trigger, artifacts: [] };
    this.runs.push(run);
    return this.execute(run);
  }

  private async execute(run: Run): Promise<RunResult> {
    run.attempts.push({ conclusion: null });
    const attempt = run.attempts.length;
    const jobs: Record<string, JobResult> = {};
    for (const [name, job] of Object.entries(this.workflow.jobs as Record<string, Obj>)) jobs[name] = await this.runJob(name, job, run, attempt);
    const conclusion = Object.values(jobs).some((j) => j.status === 'failure') ? 'failure' : 'success';
    run.attempts[attempt - 1]!.conclusion = conclusion;
    return {
      id: run.databaseId,
      attempt,
      event: run.trigger.event,
      sha: run.trigger.sha,
      conclusion,
      jobs,
      job: (n) => {
        const j = jobs[n];
        if (!j) throw new Error(`no job ${n}`);
        return j;
      },
    };
  }

  /** What fake-gh answers from: the history as it is now. */
  private writeWorld(file: string): void {
    const { repo } = this.opts;
    writeFileSync(
      file,
      JSON.stringify({
        repository: this.repository,
        mainHead: repo.head.sha,
        pulls: [...repo.pulls.values()].map((p) => ({
          number: p.number,
          state: p.mergedAt ? 'closed' : 'open',
          merged_at: p.mergedAt ?? null,
          merge_commit_sha: p.mergeSha ?? null,
          head: { sha: p.headSha },
          base: { ref: 'main' },
          labels: p.labels.map((name) => ({ name })),
        })),
        runs: this.runs.map(({ databaseId, event, headSha, workflow, attempts }) => ({ databaseId, event, headSha, workflow, attempts })),
        artifacts: Object.fromEntries(this.runs.map((r) => [String(r.databaseId), r.artifacts])),
      }),
    );
  }

  private async runJob(name: string, job: Obj, run: Run, attempt: number): Promise<JobResult> {
    const { trigger } = run;
    const dir = mkdtempSync(join(this.root, `${run.databaseId}-${attempt}-${name}-`));
    const workspace = join(dir, 'workspace');
    const temp = join(dir, 'temp');
    mkdirSync(workspace);
    mkdirSync(temp);
    const eventPath = join(temp, 'event.json');
    writeFileSync(eventPath, JSON.stringify(trigger.payload));
    const world = join(temp, 'world.json');

    const ctx: Contexts = {
      github: {
        event_name: trigger.event,
        sha: trigger.sha,
        ref: trigger.ref,
        run_id: run.databaseId,
        run_attempt: attempt,
        repository: this.repository,
        token: 'ghs_fake-token',
        event: trigger.payload,
      },
      vars: this.opts.vars ?? {},
      secrets: this.opts.secrets ?? {},
      inputs: trigger.inputs,
      env: {},
      steps: {},
    };
    const evalEnv = (env: Obj | undefined, into: Record<string, string>) => {
      for (const [k, v] of Object.entries(env ?? {})) {
        ctx.env = { ...into };
        into[k] = interpolate(v, ctx);
      }
      return into;
    };
    const workflowEnv = evalEnv(this.workflow.env, {});
    ctx.env = { ...workflowEnv };
    const steps: StepResult[] = [];
    const summaries: string[] = [];
    const result = (status: JobResult['status']): JobResult => ({
      name,
      status,
      steps,
      summary: summaries.join(''),
      log: steps.map((s) => `## ${s.name} (${s.outcome}${s.code !== undefined ? `, exit ${s.code}` : ''})\n${s.stdout}${s.stderr}`).join('\n'),
      step: (n) => {
        const s = steps.find((x) => x.name === n);
        if (!s) throw new Error(`no step ${n} in job ${name}`);
        return s;
      },
    });
    if (!condition(job.if, ctx, { failed: false })) return result('skipped');

    const jobEnv = evalEnv(job.env, { ...workflowEnv });
    const fromGithubEnv: Record<string, string> = {};
    let failed = false;
    let index = 0;
    for (const step of job.steps as Obj[]) {
      index++;
      const stepName = String(step.name ?? step.uses ?? `step ${index}`);
      ctx.env = { ...jobEnv, ...fromGithubEnv };
      if (!condition(step.if, ctx, { failed })) {
        steps.push({ name: stepName, id: step.id, outcome: 'skipped', stdout: '', stderr: '', outputs: {} });
        if (step.id) (ctx.steps as Obj)[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        continue;
      }
      const stepEnv = evalEnv(step.env, { ...jobEnv, ...fromGithubEnv });
      const files = { output: join(temp, `output-${index}`), env: join(temp, `env-${index}`), summary: join(temp, `summary-${index}`) };
      for (const f of Object.values(files)) writeFileSync(f, '');
      this.writeWorld(world);
      const env: NodeJS.ProcessEnv = {
        PATH: `${this.bin}:${process.env.PATH}`,
        HOME: process.env.HOME,
        LANG: 'C.UTF-8',
        NO_COLOR: '1',
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKFLOW: String(this.workflow.name),
        GITHUB_WORKFLOW_REF: `${this.repository}/.github/workflows/${this.workflowName}@${trigger.ref}`,
        GITHUB_JOB: name,
        GITHUB_REPOSITORY: this.repository,
        GITHUB_EVENT_NAME: trigger.event,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_SHA: trigger.sha,
        GITHUB_REF: trigger.ref,
        GITHUB_RUN_ID: String(run.databaseId),
        GITHUB_RUN_ATTEMPT: String(attempt),
        GITHUB_WORKSPACE: workspace,
        RUNNER_TEMP: temp,
        GITHUB_OUTPUT: files.output,
        GITHUB_ENV: files.env,
        GITHUB_STEP_SUMMARY: files.summary,
        FAKE_GH_WORLD: world,
        FAKE_GH_LOG: this.ghLog,
        ...this.opts.env,
        ...stepEnv,
      };
      let outcome: StepResult;
      if (step.run !== undefined) {
        const r = await runBash(String(step.run), { cwd: workspace, env, file: join(temp, `step-${index}.sh`) });
        outcome = { name: stepName, id: step.id, outcome: r.code === 0 ? 'success' : 'failure', code: r.code, stdout: r.stdout, stderr: r.stderr, outputs: parseKeyValueFile(files.output) };
      } else {
        const withArgs = Object.fromEntries(Object.entries((step.with ?? {}) as Obj).map(([k, v]) => [k, interpolate(v, ctx)]));
        outcome = { name: stepName, id: step.id, ...(await this.uses(String(step.uses), withArgs, { run, attempt, workspace, env })) };
      }
      Object.assign(fromGithubEnv, parseKeyValueFile(files.env));
      summaries.push(readFileSync(files.summary, 'utf8'));
      steps.push(outcome);
      if (step.id) (ctx.steps as Obj)[step.id] = { outputs: outcome.outputs, outcome: outcome.outcome, conclusion: outcome.outcome };
      if (outcome.outcome === 'failure' && !step['continue-on-error']) failed = true;
    }
    return result(failed ? 'failure' : 'success');
  }

  /** The actions the workflow uses, simulated. */
  private async uses(action: string, w: Record<string, string>, where: { run: Run; attempt: number; workspace: string; env: NodeJS.ProcessEnv }): Promise<Omit<StepResult, 'name' | 'id'>> {
    const done = (stdout = '', outputs: Record<string, string> = {}) => ({ outcome: 'success' as const, stdout, stderr: '', outputs });
    const { run, workspace } = where;
    const [name] = action.split('@');
    switch (name) {
      case 'actions/checkout': {
        for (const [path, text] of Object.entries(run.trigger.checkout)) {
          mkdirSync(dirname(join(workspace, path)), { recursive: true });
          writeFileSync(join(workspace, path), text);
        }
        return done(`checked out ${run.trigger.sha}`);
      }
      case 'actions/cache/restore': {
        const exact = this.caches.find((c) => c.key === w.key);
        const prefixes = (w['restore-keys'] ?? '').split('\n').map((s) => s.trim()).filter(Boolean);
        const hit = exact ?? prefixes.map((p) => this.caches.filter((c) => c.key.startsWith(p)).at(-1)).find(Boolean);
        if (!hit) return done(`Cache not found for input keys: ${w.key}`);
        cpSync(hit.dir, join(workspace, w.path!), { recursive: true });
        return done(`Cache restored from key: ${hit.key}`, { 'cache-hit': String(hit === exact), 'cache-matched-key': hit.key });
      }
      case 'actions/cache/save': {
        if (this.caches.some((c) => c.key === w.key)) return done(`Failed to save: Unable to reserve cache with key ${w.key}, another job may be creating this cache.`);
        const source = join(workspace, w.path!);
        if (!existsSync(source)) return done(`Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.`);
        const dir = join(this.root, `cache-${this.caches.length}`);
        cpSync(source, dir, { recursive: true });
        this.caches.push({ key: w.key!, dir });
        return done(`Cache saved with key: ${w.key}`);
      }
      case 'actions/upload-artifact': {
        const source = join(workspace, w.path!);
        if (!existsSync(source)) return { outcome: 'failure', stdout: '', stderr: `No files were found with the provided path: ${w.path}`, outputs: {} };
        const dir = join(this.root, `artifact-${run.databaseId}-${where.attempt}-${w.name}`);
        mkdirSync(dir, { recursive: true });
        cpSync(source, join(dir, w.path!.split('/').pop()!));
        run.artifacts = run.artifacts.filter((a) => a.name !== w.name);
        run.artifacts.push({ id: this.nextId++, name: w.name!, expired: false, dir });
        return done(`Artifact ${w.name} uploaded (retention ${w['retention-days'] ?? 90} days)`);
      }
      case 'actions/github-script': {
        const pr = run.trigger.payload.pull_request as Obj | undefined;
        const [owner, repo] = this.repository.split('/');
        const context = { payload: run.trigger.payload, repo: { owner, repo }, issue: { owner, repo, number: pr?.number }, sha: run.trigger.sha, eventName: run.trigger.event };
        const script = join(HERE, 'github-script.mjs');
        return new Promise((resolvePromise, reject) => {
          const child = spawn(process.execPath, [script], {
            cwd: workspace,
            env: { ...where.env, FAKE_SCRIPT: w.script, FAKE_CONTEXT: JSON.stringify(context), FAKE_COMMENTS: this.commentsFile },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('error', reject);
          child.on('close', (code) => resolvePromise({ outcome: code === 0 ? 'success' : 'failure', code: code ?? 1, stdout, stderr, outputs: {} }));
        });
      }
      default:
        throw new Error(`the replay does not simulate ${action}`);
    }
  }
}

export const WORKFLOW = resolve(HERE, '../../config.example/github-actions/stream-sync.yml');
