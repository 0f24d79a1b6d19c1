// The tables the chart READMEs keep (values and RBAC), read back so tests can compare them with
// values.yaml and the rendered RBAC: a README that drifts fails a test instead of misleading.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type ChartName, chartDir } from './helm.js';

const cells = (line: string): string[] => line.split('|').slice(1, -1).map((c) => c.trim());
const unquote = (cell: string): string => cell.replace(/^`|`$/g, '');

/** The rows of the Markdown table under `## <heading>` (header and separator dropped). */
export function tableUnder(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const rest = markdown.slice(start + heading.length + 5);
  const end = rest.search(/\n## /);
  const rows = (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((l) => l.startsWith('|'));
  return rows.slice(2).map(cells);
}

export const readme = (chart: ChartName): string => readFileSync(join(chartDir(chart), 'README.md'), 'utf8');
export const valuesYaml = (chart: ChartName): Record<string, unknown> => parse(readFileSync(join(chartDir(chart), 'values.yaml'), 'utf8')) as Record<string, unknown>;

/** How the values table shows a default: strings bare (`""` when empty), the rest as JSON. */
export function defaultCell(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '""' : value;
  return JSON.stringify(value);
}

/** `key → default cell` of the README's values table. */
export function valuesTable(chart: ChartName): Map<string, string> {
  return new Map(tableUnder(readme(chart), 'Values').map((row) => [unquote(row[0] ?? ''), unquote(row[1] ?? '')]));
}

/** Leaf paths of values.yaml: empty maps and lists are leaves; so is a map the README documents as one key. */
export function leafPaths(values: Record<string, unknown>, documented: ReadonlySet<string>, prefix = ''): string[] {
  return Object.entries(values).flatMap(([k, v]) => {
    const path = `${prefix}${k}`;
    const isMap = typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;
    return isMap && !documented.has(path) ? leafPaths(v as Record<string, unknown>, documented, `${path}.`) : [path];
  });
}

export function valueAt(values: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), values);
}

/** `group/resource verb` permissions the README's RBAC table lists (`core` is the "" group). */
export function rbacTable(chart: ChartName, nodeRequestPlural: string): Set<string> {
  const out = new Set<string>();
  for (const row of tableUnder(readme(chart), 'RBAC')) {
    const group = unquote(row[0] ?? '') === 'core' ? '' : unquote(row[0] ?? '');
    const resource = unquote((row[1] ?? '').split(' ')[0] ?? '').replace(/^nodeclaims/, nodeRequestPlural);
    for (const verb of (row[2] ?? '').replace(/\(.*\)/, '').split(',')) out.add(`${group}/${resource} ${verb.trim()}`);
  }
  return out;
}
