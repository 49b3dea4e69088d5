import type { RunningApp } from './app.js';
import type { DaemonMetrics } from './metrics.js';
import type { HealthSource, Probe } from './server.js';

/** One app's readiness, as `/readyz/<app>` (and, for `watch -f`, `/readyz`) answers it. */
function appReadiness(app: RunningApp): Probe {
  const { status, source } = app;
  const problem = source.problem;
  const ready = status.ready && !status.stopping;
  return {
    ok: ready,
    detail: {
      ready,
      dry_run: app.dryRun,
      consecutive_failures: status.consecutiveFailures,
      ready_failure_threshold: status.readyFailureThreshold,
      last_success_at: status.lastSuccessAt ? new Date(status.lastSuccessAt).toISOString() : null,
      last_run: status.lastRun ?? null,
      config: problem ? { valid: false, in_force: source.lastGood ? 'last valid configuration' : 'none', error: problem.message, since: new Date(problem.since).toISOString() } : { valid: true },
    },
  };
}

/**
 * What the health server reports for the daemon's apps. `/readyz` is 200 only when every app is ready: its body
 * lists each app's readiness under `apps` (for `watch -f`, with one app, the body is that app's, as it always was).
 * `/healthz` says the daemon runs, whatever its apps' state: a wrong secret must not get the process restarted.
 */
export function healthSource(apps: readonly RunningApp[], metrics: DaemonMetrics, opts: { single: boolean; stopping(): boolean }): HealthSource {
  const byName = new Map(apps.map((a) => [a.name, a]));
  return {
    health: () => ({ ok: !opts.stopping(), detail: { status: opts.stopping() ? 'stopping' : 'ok' } }),
    readiness: () => {
      if (opts.single && apps.length === 1) return appReadiness(apps[0]!);
      const each = apps.map((a) => [a.name, appReadiness(a)] as const);
      const ready = !opts.stopping() && each.every(([, p]) => p.ok);
      return {
        ok: ready,
        detail: {
          ready,
          ready_apps: each.filter(([, p]) => p.ok).length,
          apps: Object.fromEntries(each.map(([name, p]) => [name, p.detail])),
        },
      };
    },
    readinessOf: (name) => {
      const app = byName.get(name);
      return app && appReadiness(app);
    },
    metrics: async () => ({ contentType: metrics.contentType, text: await metrics.text() }),
  };
}
