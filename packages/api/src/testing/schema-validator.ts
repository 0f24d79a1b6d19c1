import { Ajv, type ErrorObject } from 'ajv';
import { evaluate } from '@marcbachmann/cel-js';
import type { Schema } from '../crd/schema.js';

/**
 * Validates an object the way the API server validates a custom resource, without one:
 * defaults applied, OpenAPI schema checked (ajv), then every `x-kubernetes-validations` CEL
 * rule evaluated (transition rules only when an old object is given). Used to prove the io-ts
 * codecs and the CRD agree; the real API server checks the same fixtures in integration tests.
 */
export interface SchemaVerdict {
  valid: boolean;
  layer?: 'schema' | 'cel';
  errors: string[];
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, useDefaults: true });
const compiled = new WeakMap<Schema, ReturnType<typeof ajv.compile>>();

function ajvPath(e: ErrorObject): string {
  const base = e.instancePath.replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.');
  const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
  return missing ? (base ? `${base}.${missing}` : missing) : base;
}

function celRules(
  schema: Schema,
  value: unknown,
  old: unknown,
  path: string,
  errors: string[],
): void {
  if (value === undefined) return;
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const transition = /\boldSelf\b/.test(rule.rule);
    if (transition && old === undefined) continue;
    let ok: unknown;
    try {
      ok = evaluate(rule.rule, transition ? { self: value, oldSelf: old } : { self: value });
    } catch (err) {
      throw new Error(`CEL rule at ${path || '<root>'} failed to evaluate: ${rule.rule}: ${(err as Error).message}`);
    }
    if (ok !== true) errors.push(`${path || '<root>'}: ${rule.message}`);
  }
  if (schema.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, sub] of Object.entries(schema.properties)) {
      const v = (value as Record<string, unknown>)[key];
      const o = old && typeof old === 'object' ? (old as Record<string, unknown>)[key] : undefined;
      celRules(sub, v, o, path ? `${path}.${key}` : key, errors);
    }
  }
  if (schema.items && Array.isArray(value)) {
    // Kubernetes correlates list items with old ones only for map lists; transition rules inside
    // other lists never run, so the old value is not passed down.
    value.forEach((item, i) => celRules(schema.items as Schema, item, undefined, `${path}[${i}]`, errors));
  }
}

export function validateAgainstSchema(schema: Schema, object: unknown, old?: unknown): SchemaVerdict {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema as object);
    compiled.set(schema, validate);
  }
  const value = JSON.parse(JSON.stringify(object)) as unknown;
  const oldValue = old === undefined ? undefined : (JSON.parse(JSON.stringify(old)) as unknown);
  if (oldValue !== undefined) validate(oldValue);
  if (!validate(value)) {
    return { valid: false, layer: 'schema', errors: (validate.errors ?? []).map((e) => `${ajvPath(e)}: ${e.message ?? e.keyword}`) };
  }
  const errors: string[] = [];
  celRules(schema, value, oldValue, '', errors);
  return errors.length ? { valid: false, layer: 'cel', errors } : { valid: true, errors: [] };
}
