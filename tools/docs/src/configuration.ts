/**
 * docs/configuration.md's generated parts: every process's settings table and every chart's values
 * table. The prose around them is written by hand; the tables sit between markers
 * (`<!-- BEGIN GENERATED <id> -->` … `<!-- END GENERATED <id> -->`) and are replaced by
 * `npm run gen:docs`. A unit test fails when the committed file differs from what the code gives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SettingsTable } from '@kaito-ts/core';
import { SETTINGS as ARM_SIMULATOR } from '@kaito-ts/arm-simulator';
import { SETTINGS as GPU_PROVISIONER } from '@kaito-ts/gpu-provisioner';
import { SETTINGS as KWOK_PROVISIONER } from '@kaito-ts/kwok-provisioner';
import { SETTINGS as TUNING_RUNNER } from '@kaito-ts/tuning-runner';
import { SETTINGS as WORKSPACE_CONTROLLER } from '@kaito-ts/workspace-controller';
import { type MachineDefaults, settingsMarkdown } from './settings-table.js';

export const CONFIGURATION_DOC = 'docs/configuration.md';

/** Every process with a settings table that a user or operator runs. */
export const PROCESS_SETTINGS: Readonly<Record<string, SettingsTable>> = {
  'workspace-controller': WORKSPACE_CONTROLLER,
  'gpu-provisioner': GPU_PROVISIONER,
  'tuning-runner': TUNING_RUNNER,
  'kwok-provisioner': KWOK_PROVISIONER,
  'arm-simulator': ARM_SIMULATOR,
};

/** Defaults computed from the machine, by process and flag, as the reference shows them. */
export const MACHINE_DEFAULTS: Readonly<Record<string, MachineDefaults>> = {
  'tuning-runner': { 'docker-config': '$HOME/.docker' },
  'arm-simulator': { 'state-dir': '$TMPDIR/kaito-ts-arm-simulator' },
};

export const CHARTS = ['workspace-controller', 'gpu-provisioner', 'kwok-provisioner'] as const;

/**
 * A chart's values table, as its README keeps it: a charts test already holds that table to
 * values.yaml (every key, every default), so the reference copies it rather than restating it.
 */
export function chartValuesMarkdown(root: string, chart: string): string {
  const readme = readFileSync(join(root, 'charts', chart, 'README.md'), 'utf8');
  const lines = readme.split('\n');
  const start = lines.indexOf('## Values');
  if (start < 0) throw new Error(`charts/${chart}/README.md has no "## Values" section`);
  const table: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('|')) table.push(line);
    else if (table.length > 0) break;
  }
  if (table.length < 3) throw new Error(`charts/${chart}/README.md: no values table under "## Values"`);
  return table.join('\n');
}

/** `id → Markdown` of every generated block of docs/configuration.md. */
export function configurationBlocks(root: string): Record<string, string> {
  const blocks: Record<string, string> = {};
  for (const [name, table] of Object.entries(PROCESS_SETTINGS)) blocks[`settings:${name}`] = settingsMarkdown(table, MACHINE_DEFAULTS[name]);
  for (const chart of CHARTS) blocks[`values:${chart}`] = chartValuesMarkdown(root, chart);
  return blocks;
}

const BEGIN = /<!-- BEGIN GENERATED (\S+) -->\n/g;
const end = (id: string): string => `<!-- END GENERATED ${id} -->`;

/**
 * `markdown` with every generated block replaced by `blocks[id]`. Throws when a block has no
 * markers in the file, when the file has markers for a block that does not exist, or when a
 * BEGIN has no END: a block silently left out would be a stale reference.
 */
export function withGeneratedBlocks(markdown: string, blocks: Readonly<Record<string, string>>): string {
  const seen = new Set<string>();
  let out = '';
  let at = 0;
  for (const m of markdown.matchAll(BEGIN)) {
    const id = m[1] ?? '';
    const content = blocks[id];
    if (content === undefined) throw new Error(`${CONFIGURATION_DOC}: marker for an unknown generated block "${id}" (known: ${Object.keys(blocks).join(', ')})`);
    const bodyStart = (m.index ?? 0) + m[0].length;
    const stop = markdown.indexOf(end(id), bodyStart);
    if (stop < 0) throw new Error(`${CONFIGURATION_DOC}: "<!-- BEGIN GENERATED ${id} -->" has no "${end(id)}"`);
    out += markdown.slice(at, bodyStart) + content + '\n';
    at = stop;
    seen.add(id);
  }
  const missing = Object.keys(blocks).filter((id) => !seen.has(id));
  if (missing.length > 0) throw new Error(`${CONFIGURATION_DOC}: no markers for ${missing.join(', ')}; add "<!-- BEGIN GENERATED <id> -->" and "<!-- END GENERATED <id> -->" lines where each belongs`);
  return out + markdown.slice(at);
}
