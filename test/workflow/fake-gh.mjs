#!/usr/bin/env node
/* A stand-in for the GitHub CLI (`gh`) on the PATH of a replayed workflow step. It answers the few calls the
 * example workflow makes from the simulated history the test writes to $FAKE_GH_WORLD (JSON), and logs every
 * call to $FAKE_GH_LOG. Anything else fails loudly, so a new call in the workflow needs a new answer here.
 *
 *   gh api repos/R/commits/SHA/pulls                pull requests whose merge commit is SHA
 *   gh api repos/R/commits/main                     main's head
 *   gh api repos/R/actions/runs/ID/attempts/N       an earlier attempt of a run (its conclusion)
 *   gh api repos/R/actions/runs/ID/artifacts        a run's artifacts, expired or not
 *   gh run list --workflow W --event E --commit SHA --status success --limit N --json databaseId
 *   gh run download ID --name NAME --dir DIR        fails, as gh does, when the artifact expired
 */
import { appendFileSync, cpSync, mkdirSync, readFileSync } from 'node:fs';

const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_GH_LOG, `${JSON.stringify(args)}\n`);
const world = JSON.parse(readFileSync(process.env.FAKE_GH_WORLD, 'utf8'));

const fail = (message, code = 1) => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};
const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (!process.env.GH_TOKEN) fail('gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment variable. Example:\n  env:\n    GH_TOKEN: ${{ github.token }}', 4);
const repo = world.repository;
if (option('--repo') !== undefined && option('--repo') !== repo) fail(`fake gh: unknown repository ${option('--repo')}`);

const conclusionOf = (run) => run.attempts.at(-1)?.conclusion ?? null;

if (args[0] === 'api') {
  const path = args[1] ?? '';
  const prefix = `repos/${repo}/`;
  if (!path.startsWith(prefix) || args.length !== 2) fail(`fake gh: unexpected call: gh ${args.join(' ')}`);
  const rest = path.slice(prefix.length);
  let m;
  if ((m = /^commits\/([0-9a-f]{40})\/pulls$/.exec(rest))) {
    print(world.pulls.filter((p) => p.merge_commit_sha === m[1]));
  } else if (rest === 'commits/main') {
    print({ sha: world.mainHead });
  } else if ((m = /^actions\/runs\/(\d+)\/attempts\/(\d+)$/.exec(rest))) {
    const run = world.runs.find((r) => r.databaseId === Number(m[1]));
    const attempt = run?.attempts[Number(m[2]) - 1];
    if (!attempt) fail('gh: Not Found (HTTP 404)');
    print({ id: run.databaseId, run_attempt: Number(m[2]), status: attempt.conclusion ? 'completed' : 'in_progress', conclusion: attempt.conclusion });
  } else if ((m = /^actions\/runs\/(\d+)\/artifacts$/.exec(rest))) {
    const artifacts = world.artifacts[m[1]] ?? [];
    print({ total_count: artifacts.length, artifacts: artifacts.map(({ id, name, expired }) => ({ id, name, expired })) });
  } else {
    fail(`fake gh: unexpected call: gh ${args.join(' ')}`);
  }
} else if (args[0] === 'run' && args[1] === 'list') {
  if (option('--json') !== 'databaseId') fail(`fake gh: unexpected call: gh ${args.join(' ')}`);
  const runs = world.runs
    .filter((r) => r.workflow === option('--workflow'))
    .filter((r) => !option('--event') || r.event === option('--event'))
    .filter((r) => !option('--commit') || r.headSha === option('--commit'))
    .filter((r) => !option('--status') || conclusionOf(r) === option('--status'))
    .sort((a, b) => b.databaseId - a.databaseId)
    .slice(0, Number(option('--limit') ?? 20));
  print(runs.map((r) => ({ databaseId: r.databaseId })));
} else if (args[0] === 'run' && args[1] === 'download') {
  const artifact = (world.artifacts[args[2]] ?? []).find((a) => a.name === option('--name'));
  if (!artifact || artifact.expired) fail('no valid artifacts found to download');
  const dir = option('--dir') ?? '.';
  mkdirSync(dir, { recursive: true });
  cpSync(artifact.dir, dir, { recursive: true });
} else {
  fail(`fake gh: unexpected call: gh ${args.join(' ')}`);
}
