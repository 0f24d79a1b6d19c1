/**
 * docs/troubleshooting.md promises every reason the controllers can set, with what to do. This
 * holds it to the code: the Workspace's `Reason` (the only reasons its conditions take: the
 * controllers type them so), the node-request lifecycle's `Reasons` (the conditions gpu-provisioner
 * and the kwok provisioner write on Machines/NodeClaims), and the Event reasons written as literals
 * in the workspace controller and the lifecycle. A reason in the tables that no code sets fails too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Reason } from '@kaito-ts/api';
import { Reasons as NodeRequestReasons } from '@kaito-ts/karpenter';

const root = resolve(__dirname, '../../..');
const doc = readFileSync(join(root, 'docs/troubleshooting.md'), 'utf8');

/** The rows of every Markdown table under `## <heading>` (headers and separators dropped). */
function rowsUnder(heading: string): string[][] {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/troubleshooting.md has no "## ${heading}" section`);
  const lines = (doc.slice(start + heading.length + 5).split(/\n## /)[0] ?? '').split('\n');
  const isSeparator = (l: string | undefined): boolean => l !== undefined && /^\|(\s*:?-+:?\s*\|)+$/.test(l);
  return lines
    .filter((l, i) => l.startsWith('|') && !isSeparator(l) && !isSeparator(lines[i + 1]))
    .map((l) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
}

/** The backticked names in one column of a section's table. */
function documented(heading: string, column: number): Set<string> {
  return new Set(rowsUnder(heading).flatMap((row) => [...(row[column] ?? '').matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1] ?? '')));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !f.includes(`${join('src', 'testing')}`));
}

/** Reason literals of the Events published in `dir`: `events.publish({ …, reason: 'X' | c ? 'X' : 'Y', message … });`. */
function publishedEventReasons(dir: string): Set<string> {
  const out = new Set<string>();
  for (const file of sourceFiles(dir)) {
    // A call may span lines; its reason is the expression after `reason:` up to the next field.
    for (const call of readFileSync(file, 'utf8').matchAll(/events\.publish\(\{([\s\S]*?)\}\);/g)) {
      const reason = /reason:\s*([\s\S]*?)(?:,\s*(?:message|type|involvedObject|related)\b|\s*$)/.exec(call[1] ?? '')?.[1] ?? '';
      for (const literal of reason.matchAll(/'([A-Z][A-Za-z]+)'/g)) out.add(literal[1] ?? '');
    }
  }
  return out;
}

/** `reason: 'X'` literals of the lifecycle's Event constructors. */
function lifecycleEventReasons(): Set<string> {
  const text = readFileSync(join(root, 'packages/karpenter/src/lifecycle/events.ts'), 'utf8');
  return new Set([...text.matchAll(/reason: '([A-Z][A-Za-z]+)'/g)].map((m) => m[1] ?? ''));
}

const sorted = (s: Iterable<string>): string[] => [...s].sort();
const missing = (code: Iterable<string>, doc: Set<string>): string[] => sorted([...code].filter((r) => !doc.has(r)));

describe('docs/troubleshooting.md', () => {
  it('lists every Workspace condition reason (packages/api Reason) under "Condition reasons"', () => {
    expect(missing(Object.values(Reason), documented('Condition reasons', 1))).toEqual([]);
  });

  it('lists no Workspace condition reason that the API does not define', () => {
    const defined = new Set<string>(Object.values(Reason));
    expect(sorted([...documented('Condition reasons', 1)].filter((r) => !defined.has(r)))).toEqual([]);
  });

  it('lists every node-request condition reason (packages/karpenter Reasons) under "Node request reasons"', () => {
    expect(missing(Object.values(NodeRequestReasons), documented('Node request reasons', 1))).toEqual([]);
  });

  it('lists no node-request reason that the lifecycle does not set', () => {
    const defined = new Set<string>(Object.values(NodeRequestReasons));
    expect(sorted([...documented('Node request reasons', 1)].filter((r) => !defined.has(r)))).toEqual([]);
  });

  it('lists every Event reason the workspace controller publishes besides its conditions’ under "Events"', () => {
    const found = publishedEventReasons(join(root, 'apps/workspace-controller/src'));
    expect([...found]).toEqual(expect.arrayContaining(['NodeRequestCreated', 'WorkloadUpdated', 'JobCreated', 'JobReplaced']));
    expect(missing(found, documented('Events', 0))).toEqual([]);
  });

  it('lists every Event reason of the node-request lifecycle under "Events"', () => {
    const found = lifecycleEventReasons();
    expect(found.size).toBeGreaterThan(3);
    expect(missing(found, documented('Events', 0))).toEqual([]);
  });
});
