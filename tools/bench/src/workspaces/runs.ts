/** Which runs the Workspace benchmark makes: `mode/count/sku` specs (pure, unit-tested). */
import { codedError } from '@kaito-ts/core';
import { type BenchMode, MODES } from './workspaces-report.js';

export interface RunSpec {
  readonly mode: BenchMode;
  readonly count: number;
  readonly sku: string;
}

/**
 * The reference's workload (A100) in each mode at 50 and 200, the seed's Standard_NC6s_v3 at 200,
 * and the cluster's own floor under BYO 200 (no controller).
 */
export const DEFAULT_RUNS: readonly string[] = [
  'nodeclaim-only/50/Standard_NC24ads_A100_v4',
  'nodeclaim-only/200/Standard_NC24ads_A100_v4',
  'nodeclaim/50/Standard_NC24ads_A100_v4',
  'nodeclaim/200/Standard_NC24ads_A100_v4',
  'nodeclaim/200/Standard_NC6s_v3',
  'byo/50/Standard_NC24ads_A100_v4',
  'byo/200/Standard_NC24ads_A100_v4',
  'byo/200/Standard_NC6s_v3',
  'byo-floor/200/Standard_NC24ads_A100_v4',
];

export class RunSpecError extends codedError('InvalidRunSpec') {}

/** `nodeclaim/200/Standard_NC6s_v3` → a run; anything else → an error naming what was expected. */
export function parseRunSpec(text: string): RunSpec {
  const example = 'e.g. --run nodeclaim/200/Standard_NC6s_v3';
  const [mode, count, sku, ...rest] = text.split('/');
  if (rest.length > 0 || sku === undefined || sku === '') throw new RunSpecError(`--run ${JSON.stringify(text)}: expected MODE/COUNT/SKU, ${example}`);
  if (!(MODES as readonly string[]).includes(mode ?? '')) throw new RunSpecError(`--run ${JSON.stringify(text)}: mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}; ${example}`);
  if (!/^[1-9]\d*$/.test(count ?? '')) throw new RunSpecError(`--run ${JSON.stringify(text)}: count must be a positive whole number, got ${JSON.stringify(count)}; ${example}`);
  return { mode: mode as BenchMode, count: Number(count), sku };
}
