import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadDesired } from '../../src/desired/load.js';
import { ROOT, runCli } from '../support/cli.js';
import { parseDockerfile } from './dockerfile.js';

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

/** What `kubectl apply -f config.example/kubernetes/` applies: kubectl reads .json, .yaml and .yml files from a directory. */
const kubectlApplies = (f: string) => /\.(json|ya?ml)$/.test(f);
const kubernetes = yamlFiles('kubernetes').flatMap((f) => documents('kubernetes', f).map((doc) => ({ file: f, doc })));
const ofKind = (kind: string) => kubernetes.filter((k) => k.doc.kind === kind);
/** The Secret placeholders, in files kubectl skips (`*.yaml.example`). */
const secretExamples = readdirSync(dirOf('kubernetes')).filter((f) => f.endsWith('.yaml.example'));
const exampleSecrets = secretExamples.flatMap((f) => documents('kubernetes', f).map((doc) => ({ file: f, doc })));

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
  const secrets = new Map(exampleSecrets.filter(({ doc }) => doc.kind === 'Secret').map(({ doc }) => [doc.metadata.name as string, doc.stringData as Record<string, string>]));
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

  it('keeps the Secret placeholders out of what `kubectl apply -f` of the directory applies: one *.yaml.example per layout, with every key the workloads read', () => {
    expect(ofKind('Secret').map(({ file }) => file), 'a Secret in an applied file overwrites the real credentials').toEqual([]);
    expect(secretExamples.sort()).toEqual(['deployment-secret.yaml.example', 'sidecar-secret.yaml.example']);
    for (const f of secretExamples) expect(kubectlApplies(f), f).toBe(false);
    const secrets = new Map(exampleSecrets.map(({ doc }) => [doc.metadata.name as string, doc]));
    for (const { doc } of exampleSecrets) expect(doc).toMatchObject({ apiVersion: 'v1', kind: 'Secret', stringData: expect.any(Object) });
    for (const { file, doc } of ofKind('Deployment')) {
      const pod = doc.spec.template.spec as Obj;
      const refs: [string, string | undefined][] = [];
      for (const c of pod.containers as Obj[]) {
        for (const from of c.envFrom ?? []) if (from.secretRef) refs.push([from.secretRef.name, undefined]);
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) refs.push([e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]);
      }
      for (const v of pod.volumes ?? []) if (v.secret) for (const item of v.secret.items ?? [{ key: undefined }]) refs.push([v.secret.secretName, item.key]);
      expect(refs.length, file).toBeGreaterThan(0);
      for (const [name, key] of refs) {
        const secret = secrets.get(name);
        expect(secret, `${file}: Secret ${name} has no example`).toBeDefined();
        if (key) expect(Object.keys(secret!.stringData), `${file}: ${name} lacks the key ${key}`).toContain(key);
      }
    }
  });

  it('requests memory at least the idle RSS measured for one app (docs/benchmark.md), under the limit, and runs as the image\'s uid and gid', () => {
    // The "Many apps in one daemon" table's row for one app: `| 1 | … | 74–76 MB (121 MB) | …`.
    const row = readFileSync(join(ROOT, 'docs/benchmark.md'), 'utf8').split('\n').find((l) => /^\|\s*1\s*\|.*MB \(\d+ MB\)/.test(l));
    expect(row, 'docs/benchmark.md: the one-app row of the many-apps table').toBeDefined();
    const [, idleMb] = /(\d+) MB \(\d+ MB\)/.exec(row!)!;
    const idleMiB = (Number(idleMb) * 1e6) / 2 ** 20;
    const mib = (q: string) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      expect(m, `memory quantity ${q}`).not.toBeNull();
      return Number(m![1]) * (m![2] === 'Gi' ? 1024 : 1);
    };
    const user = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).stages.at(-1)!.instructions.filter((i) => i.op === 'USER').at(-1)!.rest;
    const [uid, gid = uid] = user.split(':').map(Number);
    for (const { file, pod, container } of streamSyncContainers()) {
      const request = mib(container.resources.requests.memory);
      expect(request, `${file}: the memory request is below the measured idle RSS (${idleMiB.toFixed(0)} MiB)`).toBeGreaterThanOrEqual(idleMiB);
      expect(request, file).toBeLessThanOrEqual(128);
      expect(request, file).toBeLessThan(mib(container.resources.limits.memory));
      const effective = { ...pod.spec.securityContext, ...container.securityContext } as Obj;
      expect(effective, file).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: gid });
    }
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

describe('docs/operations.md: Running on Kubernetes', () => {
  const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
  const start = operations.indexOf('## Running on Kubernetes');
  const section = operations.slice(start, operations.indexOf('\n## ', start + 1));

  it('documents the ConfigMap limits (1 MiB; 256 KiB of last-applied annotation with client-side apply) and what to do above them', () => {
    expect(section).toContain('1 MiB');
    expect(section).toMatch(/256 KiB[^.]*262,144 bytes/);
    expect(section).toContain('kubectl.kubernetes.io/last-applied-configuration');
    expect(section).toContain('kubectl apply --server-side');
    expect(section).toMatch(/projected/);
    // The projected-volume snippet parses, and its args take the directory as the layer.
    const snippet = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const doc = parseAllDocuments(snippet)[0]!.toJS() as Obj;
    expect(doc.args.slice(0, 3)).toEqual(['watch', '-f', '/config/']);
    expect(doc.volumes[0].projected.sources.length).toBeGreaterThan(1);
  });

  it('names the Secret examples it points to, and they exist', () => {
    for (const f of secretExamples) expect(section).toContain(`\`${f}\``);
  });

  it('a configuration split over several ConfigMaps, projected as one directory (the kubelet\'s ..data layout), validates as one layer', async () => {
    // The example's file, split in two as two ConfigMaps would hold it.
    const yaml = ofKind('ConfigMap').find(({ file }) => file === 'deployment.yaml')!.doc.data['stream.yaml'] as string;
    const [head, users] = yaml.split(/^(?=users:)/m);
    const dir = mkdtempSync(join(tmpdir(), 'k8s-projected-'));
    const data = join(dir, '..2026_12_04_00_00_00.000000001');
    mkdirSync(data);
    writeFileSync(join(data, 'app.yaml'), head!);
    writeFileSync(join(data, 'users.yaml'), `version: 1\n${users!.split(/^(?=policy:)/m)[0]}`);
    symlinkSync(posix.basename(data), join(dir, '..data'));
    for (const f of ['app.yaml', 'users.yaml']) symlinkSync(`..data/${f}`, join(dir, f));
    const r = await runCli(['validate', '-f', `${dir}/`], { STREAM_SQS_SECRET: 'x' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/valid \(2 files/);
    rmSync(dir, { recursive: true, force: true });
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
