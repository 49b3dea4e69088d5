import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadDesired } from '../../src/desired/load.js';
import { ROOT, runCli } from '../support/cli.js';

/* The deployment examples in config.example/kubernetes and config.example/github-actions: they parse, the
 * stream-sync files inside them validate, and they wire stream-sync the way the daemon expects. */

type Obj = Record<string, any>;

const dirOf = (sub: string) => join(ROOT, 'config.example', sub);
const yamlFiles = (sub: string) => readdirSync(dirOf(sub)).filter((f) => /\.ya?ml$/.test(f));

function documents(sub: string, file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(join(dirOf(sub), file), 'utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) expect(d.errors.map((e) => e.message), `${sub}/${file}`).toEqual([]);
  return list.map((d) => d.toJS() as Obj).filter(Boolean);
}

const kubernetes = yamlFiles('kubernetes').flatMap((f) => documents('kubernetes', f).map((doc) => ({ file: f, doc })));
const ofKind = (kind: string) => kubernetes.filter((k) => k.doc.kind === kind);

/** The value of a flag in a container's args (`--flag value`). */
const flag = (args: string[], name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** The stream-sync containers of every workload, with the pod spec around them. */
const streamSyncContainers = () =>
  ofKind('Deployment').flatMap(({ file, doc }) =>
    (doc.spec.template.spec.containers as Obj[]).filter((c) => String(c.image).includes('stream-sync')).map((container) => ({ file, deployment: doc, pod: doc.spec.template as Obj, container })),
  );

/** The environment a container gets from the example's Secrets (placeholder values). */
function environment(container: Obj): NodeJS.ProcessEnv {
  const secrets = new Map(ofKind('Secret').map(({ doc }) => [doc.metadata.name as string, doc.stringData as Record<string, string>]));
  const env: NodeJS.ProcessEnv = {};
  for (const from of container.envFrom ?? []) Object.assign(env, secrets.get(from.secretRef.name));
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref ? secrets.get(ref.name)?.[ref.key] : e.value;
  }
  return env;
}

describe('config.example/kubernetes', () => {
  it('has a sidecar and a standalone Deployment, every file parsing as Kubernetes objects', () => {
    expect(yamlFiles('kubernetes').sort()).toEqual(['deployment.yaml', 'sidecar.yaml']);
    for (const { doc } of kubernetes) expect(doc).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String), metadata: { name: expect.any(String) } });
  });

  it('holds stream-sync files in its ConfigMaps that validate, with the variables their containers get', () => {
    const containers = streamSyncContainers();
    expect(containers).toHaveLength(2);
    for (const { file, pod, container } of containers) {
      const configPath = flag(container.args, '-f')!;
      const mount = (container.volumeMounts as Obj[]).find((m) => configPath.startsWith(`${m.mountPath}/`))!;
      expect(mount, `${file}: -f ${configPath} is not on a mounted volume`).toBeDefined();
      expect(mount.subPath, `${file}: a subPath mount never sees ConfigMap updates`).toBeUndefined();
      const volume = (pod.spec.volumes as Obj[]).find((v) => v.name === mount.name)!;
      const configMap = ofKind('ConfigMap').find(({ doc }) => doc.metadata.name === volume.configMap?.name)!;
      expect(configMap, `${file}: the config volume is not one of the example's ConfigMaps`).toBeDefined();
      const key = configPath.slice(mount.mountPath.length + 1);
      const dir = mkdtempSync(join(tmpdir(), 'k8s-config-'));
      writeFileSync(join(dir, key), configMap.doc.data[key]);
      const env = environment(container);
      expect(env.STREAM_API_KEY, file).toBeTruthy();
      expect(env.STREAM_API_SECRET ?? env.STREAM_API_SECRET_FILE, file).toBeTruthy();
      expect(loadDesired(join(dir, key), { env, cwd: dir }).objects.size, file).toBeGreaterThan(2);
    }
  });

  it('runs the daemon with its state on a writable volume, a read-only root filesystem, probes and metrics on the --listen port', () => {
    for (const { file, pod, container } of streamSyncContainers()) {
      expect(container.args[0], file).toBe('watch');
      const port = Number(flag(container.args, '--listen')!.split(':').pop());
      const state = flag(container.args, '--state-file')!;
      const stateMount = (container.volumeMounts as Obj[]).find((m) => state.startsWith(`${m.mountPath}/`));
      expect(stateMount?.readOnly, `${file}: the state file must be on a writable mount`).not.toBe(true);
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      const portOf = (p: number | string) => (typeof p === 'number' ? p : (container.ports as Obj[]).find((x) => x.name === p)?.containerPort);
      expect(portOf(container.livenessProbe.httpGet.port)).toBe(port);
      expect(container.resources.requests).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
      expect(pod.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });
      // The secret API key never comes from a flag.
      expect(container.args.join(' ')).not.toMatch(/secret/i);
    }
  });

  it('the sidecar sits next to an app container; the standalone Deployment recreates (never two at once) and is ready on /readyz', () => {
    const [sidecar] = streamSyncContainers().filter((c) => c.file === 'sidecar.yaml');
    expect((sidecar!.pod.spec.containers as Obj[]).length).toBeGreaterThanOrEqual(2);
    const [standalone] = streamSyncContainers().filter((c) => c.file === 'deployment.yaml');
    expect(standalone!.deployment.spec.strategy.type).toBe('Recreate');
    expect(standalone!.deployment.spec.replicas).toBe(1);
    expect(standalone!.container.readinessProbe.httpGet.path).toBe('/readyz');
  });
});

describe('config.example/github-actions', () => {
  // test/workflow/github-actions.test.ts replays this workflow's steps against the emulator; these are its static checks.
  const [workflowFile] = yamlFiles('github-actions');
  const workflow = documents('github-actions', workflowFile!)[0]!;
  const steps = (job: string) => workflow.jobs[job].steps as Obj[];
  const step = (job: string, name: string) => steps(job).find((s) => s.name === name)!;
  /** A job's shell, continuation lines joined. */
  const script = (job: string) => steps(job).map((s) => s.run ?? '').join('\n').replace(/\\\n\s*/g, ' ');

  it('plans on pull requests (again when labelled), applies on merge to main, and re-plans and applies main on a manual run', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    expect(workflow.on.pull_request.types).toEqual(expect.arrayContaining(['opened', 'synchronize', 'reopened', 'labeled', 'unlabeled']));
    expect(workflow.on.push.branches).toEqual(['main']);
    expect(workflow.on.workflow_dispatch.inputs.allow_deletes).toMatchObject({ type: 'number', required: false });
    expect(workflow.on.workflow_dispatch.inputs.allow_deletes.default).toBeUndefined();
    expect(workflow.jobs.plan.if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs.apply.if).toBe("github.event_name == 'push' || github.event_name == 'workflow_dispatch'");
    expect(workflow.defaults.run.shell).toBe('bash');
  });

  it('plans with validate, a Markdown plan, --detailed-exitcode handled, the plan kept as an artifact and posted as a comment', () => {
    const plan = script('plan');
    expect(plan).toMatch(/\$STREAM_SYNC validate -f /);
    expect(plan).toMatch(/\$STREAM_SYNC plan -f .*--format markdown --out plan\.json --detailed-exitcode/);
    expect(plan).toMatch(/0\) echo "changes=false"/);
    expect(plan).toMatch(/2\) echo "changes=true"/);
    expect(plan).toContain('stream-sync/allow-deletes:');
    expect(steps('plan').some((s) => String(s.uses).startsWith('actions/upload-artifact') && s.with.path === 'plan.json' && s.with['retention-days'] > 0)).toBe(true);
    expect(steps('plan').some((s) => String(s.uses).startsWith('actions/github-script') && /createComment/.test(s.with.script))).toBe(true);
    expect(workflow.jobs.plan.permissions['pull-requests']).toBe('write');
  });

  it('applies: nothing when the app already matches, else the reviewed plan, a fresh plan of main when it expired, the label or input as --allow-deletes', () => {
    const names = steps('apply').map((s) => s.name);
    expect(names.indexOf('Anything to apply?')).toBeLessThan(names.indexOf('Find the reviewed plan'));
    expect(names.indexOf('Find the reviewed plan')).toBeLessThan(names.indexOf('Apply'));
    expect(step('apply', 'Anything to apply?').run).toMatch(/\$STREAM_SYNC plan -f .*--detailed-exitcode/);
    const decide = step('apply', 'Find the reviewed plan').run as string;
    // The expired case is logged as `no reviewed plan (expired): applying a fresh plan of main`.
    expect(decide).toContain('say "$1: applying a fresh plan of main$2"');
    expect(decide).toContain('fresh "no reviewed plan ($([ "$expired" = true ] && echo expired ||');
    expect(decide).toContain('stream-sync/allow-deletes:');
    expect(decide).toContain('allowed "$ALLOW_DELETES_INPUT"');
    expect(step('apply', 'Find the reviewed plan').env.ALLOW_DELETES_INPUT).toBe('${{ inputs.allow_deletes }}');
    const apply = step('apply', 'Apply').run as string;
    expect(apply).toMatch(/\$STREAM_SYNC apply "\$\{args\[@\]\}" --plan reviewed\/plan\.json/);
    expect(apply).toMatch(/\$STREAM_SYNC apply "\$\{args\[@\]\}" --plan fresh-plan\.json/);
    expect(apply).toContain('args+=(--allow-deletes "$ALLOW_DELETES")');
    expect(apply).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(workflow.jobs.apply.permissions).toMatchObject({ actions: 'read', 'pull-requests': 'read' });
  });

  it('bounds every job in time; merges and manual runs share one concurrency group per app and are never cancelled midway', () => {
    for (const [name, job] of Object.entries(workflow.jobs as Record<string, Obj>)) {
      expect(job['timeout-minutes'], name).toBeGreaterThan(0);
      expect(job['timeout-minutes'], name).toBeLessThanOrEqual(60);
    }
    expect(workflow.jobs.apply.concurrency).toEqual({ group: "stream-sync-${{ vars.STREAM_APP || 'default' }}", 'cancel-in-progress': false });
    expect(workflow.jobs.plan.concurrency.group).not.toBe(workflow.jobs.apply.concurrency.group);
  });

  it('keeps the state file in the Actions cache per app: restored by both jobs, saved by the apply even when it fails, one key per attempt', () => {
    expect(workflow.env.STATE_CACHE).toBe("stream-sync-state-${{ vars.STREAM_APP || 'default' }}");
    for (const job of ['plan', 'apply']) expect(step(job, 'Restore the state file').with['restore-keys']).toBe('${{ env.STATE_CACHE }}-run-');
    const save = step('apply', 'Save the state file');
    expect(save.if).toBe('always()');
    expect(save.with.key).toBe('${{ env.STATE_CACHE }}-run-${{ github.run_id }}-${{ github.run_attempt }}');
    expect(steps('plan').some((s) => String(s.uses).startsWith('actions/cache/save'))).toBe(false);
  });

  it('runs stream-sync as $STREAM_SYNC (the image, as the runner\'s user), with secrets only from the environment', () => {
    for (const job of ['plan', 'apply']) {
      expect(step(job, 'The stream-sync command').run).toMatch(/STREAM_SYNC=docker run --rm --user \$\(id -u\):\$\(id -g\) .*\$STREAM_SYNC_IMAGE"/);
      expect(script(job)).not.toMatch(/\$\{\{\s*secrets\./);
      expect(workflow.jobs[job].env.STREAM_API_SECRET).toBe('${{ secrets.STREAM_API_SECRET }}');
    }
  });

  it('uses only flags the CLI has', async () => {
    const all = script('plan') + '\n' + script('apply');
    const commands = [...all.matchAll(/\$STREAM_SYNC (\w+) ([^>\n]*)/g)].map((m) => [m[1]!, m[2]!] as const);
    // apply's flags also come from the args array the Apply step builds.
    for (const m of all.matchAll(/args\+?=\(([^)]*)\)/g)) commands.push(['apply', m[1]!]);
    expect(new Set(commands.map((c) => c[0]))).toEqual(new Set(['validate', 'plan', 'apply']));
    for (const [command, rest] of commands) {
      const help = (await runCli([command, '--help'])).stdout;
      for (const f of rest.match(/--[\w-]+/g) ?? []) expect(help, `${command} ${f}`).toContain(f);
    }
  });
});
