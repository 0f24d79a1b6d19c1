import type { Issue } from '@kaito-ts/core';
import type { Workspace } from './codec.js';

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/**
 * What an update may not change. The same rules are CEL transition rules in the CRD; this copy
 * lets controllers and tests check an update without an API server.
 */
export function updateIssues(old: Workspace, next: Workspace): Issue[] {
  const issues: Issue[] = [];
  const immutable = (path: string, a: unknown, b: unknown, hint: string) => {
    if (!equal(a, b)) issues.push({ path, message: `is immutable; ${hint}` });
  };
  if ((old.inference === undefined) !== (next.inference === undefined)) {
    issues.push({ path: '', message: 'a Workspace cannot switch between inference and tuning; create a new Workspace' });
  }
  immutable('resource.instanceType', old.resource.instanceType, next.resource.instanceType, 'create a new Workspace to use another instance type');
  immutable('resource.labelSelector', old.resource.labelSelector, next.resource.labelSelector, 'create a new Workspace to select other nodes');
  immutable('resource.partition', old.resource.partition, next.resource.partition, 'create a new Workspace to change it');
  immutable('resource.count', old.resource.count ?? 1, next.resource.count ?? 1, 'create a new Workspace to change the node count');
  if (old.inference && next.inference) {
    if ((old.inference.preset === undefined) !== (next.inference.preset === undefined)) {
      issues.push({ path: 'inference', message: 'cannot change between preset and template; create a new Workspace' });
    } else if (old.inference.preset && next.inference.preset) {
      immutable('inference.preset.name', old.inference.preset.name, next.inference.preset.name, 'create a new Workspace for another model');
    }
  }
  if (old.tuning && next.tuning) {
    immutable('tuning.preset.name', old.tuning.preset.name, next.tuning.preset.name, 'create a new Workspace to tune another model');
    immutable('tuning.method', old.tuning.method, next.tuning.method, 'create a new Workspace to tune with another method');
    // Kaito compares the Go strings, so an unset name equals "".
    immutable('tuning.input.name', old.tuning.input.name ?? '', next.tuning.input.name ?? '', 'create a new Workspace to tune on another dataset');
  }
  return issues;
}
