/**
 * One tuning run as a sequence of phases, each taking what the previous ones returned:
 * config → inputs → dataset → training → adapter check → push (or copy) → report. Every phase
 * reports itself in the progress file; the one AbortSignal (SIGTERM) reaches the trainer, the
 * downloads and the converter, and an abort ends the run as Terminated.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from './errors.js';
import type { Logger } from './logger.js';
import { checkConfig, loadConfig } from './phases/config.js';
import type { RunContext } from './phases/context.js';
import { convertDataset } from './phases/convert.js';
import { gatherInputs } from './phases/download.js';
import { reportFailure, reportSuccess, type RunResult } from './phases/report.js';
import { ship, verify, type Shipped } from './phases/ship.js';
import { train, type Training } from './phases/train.js';
import { Phases } from './reasons.js';
import { ProgressConfigMap } from './report/progress-configmap.js';
import { ProgressFile, type Clock } from './report/report.js';
import type { Settings } from './settings.js';

export { trainerCommand } from './phases/trainer-command.js';
export type { RunResult } from './phases/report.js';

export interface RunDeps {
  readonly settings: Settings;
  readonly log: Logger;
  /** Where the kaito_trainer package lives (main.ts resolves it next to the app). */
  readonly trainerDir: string;
  /** Aborted on SIGTERM. */
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
}

export async function runTuning(deps: RunDeps): Promise<RunResult> {
  const { settings: s, log } = deps;
  const sink = progressConfigMap(s, log);
  const ctx: RunContext = {
    settings: s,
    log,
    trainerDir: deps.trainerDir,
    signal: deps.signal ?? new AbortController().signal,
    progress: new ProgressFile(
      s.progressFile ?? join(s.resultsDir, 'progress.json'),
      deps.clock,
      (err) => log.warn('cannot write the progress file', { error: messageOf(err) }),
      sink !== undefined ? (p) => sink.push(p) : undefined,
    ),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  };
  try {
    const { training, shipped } = await phases(ctx);
    return await reportSuccess(ctx, training, shipped);
  } catch (err) {
    return await reportFailure(ctx, err);
  } finally {
    await ctx.progress.flush();
    await sink?.flush();
  }
}

/** The controller's progress ConfigMap, when the Job names one (and the API server is known). */
function progressConfigMap(s: Settings, log: RunDeps['log']): ProgressConfigMap | undefined {
  if (s.progressConfigMap === undefined) return undefined;
  if (s.podNamespace === undefined || s.apiServerHost === undefined) {
    log.warn('progress ConfigMap named but POD_NAMESPACE or KUBERNETES_SERVICE_HOST is not set; progress goes to the file only', { configMap: s.progressConfigMap });
    return undefined;
  }
  const host = s.apiServerHost.includes(':') ? `[${s.apiServerHost}]` : s.apiServerHost;
  let failures = 0;
  return new ProgressConfigMap({
    server: `https://${host}:${s.apiServerPort}`,
    namespace: s.podNamespace,
    name: s.progressConfigMap,
    serviceAccountDir: s.serviceAccountDir,
    // One warning, then every 20th: a missing Role must not flood the log with a line per step.
    onError: (err) => {
      if (failures++ % 20 === 0) log.warn('cannot write the progress ConfigMap', { configMap: s.progressConfigMap, failures, error: messageOf(err) });
    },
  });
}

async function phases(ctx: RunContext): Promise<{ training: Training; shipped: Shipped }> {
  await ctx.progress.update({ phase: Phases.Starting });
  await mkdir(ctx.settings.workDir, { recursive: true });
  const config = await loadConfig(ctx.settings);
  // Checked by the trainer against the installed libraries before any download.
  await checkConfig(ctx, config);
  const inputs = await gatherInputs(ctx);
  const dataset = await convertDataset(ctx, inputs);
  const training = await train(ctx, config, dataset);
  await verify(ctx, config);
  const shipped = await ship(ctx, config);
  return { training, shipped };
}
