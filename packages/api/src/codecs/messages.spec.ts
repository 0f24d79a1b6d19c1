import * as t from 'io-ts';
import { DecodeError, decode, decodeOrThrow, formatIssue } from '@kaito-ts/core';
import { HttpUrl, PositiveInt, oneOf, withRules } from './primitives.js';
import { AnyWorkspace } from '../workspace/codec.js';
import { makeTuningWorkspace } from '../testing/factories.js';

describe('Workspace codec errors', () => {
  it('name the field path with list indexes and quote the bad value', () => {
    const ws = makeTuningWorkspace({ tuning: { input: { urls: ['https://ok.example.com/a.parquet', 'ftp://files.example.com/b.parquet'] } } });
    const result = decode(AnyWorkspace, ws);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map(formatIssue)).toEqual(['tuning.input.urls[1]: expected an http(s) URL, got "ftp://files.example.com/b.parquet"']);
    }
  });

  it('say "is required" for a missing field', () => {
    const result = decode(t.type({ resource: t.type({ labelSelector: t.UnknownRecord }) }), { resource: {} });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual(['resource.labelSelector: is required']);
  });

  it('cut long strings in messages', () => {
    const result = decode(HttpUrl, `gopher://${'x'.repeat(100)}`);
    const message = result.ok ? '' : formatIssue(result.issues[0]!);
    expect(message.length).toBeLessThan(120);
    expect(message).toContain('…');
  });

  it('list the allowed values of an enum', () => {
    const result = decode(t.type({ method: oneOf('TuningMethod', ['lora', 'qlora']) }), { method: 'full' });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual(['method: expected one of: lora, qlora, got "full"']);
  });

  it('report a broken rule at the object it belongs to', () => {
    const Range = withRules(t.type({ min: PositiveInt, max: PositiveInt }), [(r) => (r.min > r.max ? { field: 'max', message: 'must not be below min' } : undefined)]);
    const result = decode(t.type({ range: Range }), { range: { min: 3, max: 2 } });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual(['range.max: must not be below min']);
  });

  it('reject an unknown apiVersion naming both served versions', () => {
    const result = decode(AnyWorkspace, { ...makeTuningWorkspace(), apiVersion: 'kaito.sh/v1' });
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual(['apiVersion: expected "kaito.sh/v1alpha1" or "kaito.sh/v1beta1", got "kaito.sh/v1"']);
  });

  it('throw a DecodeError with code Invalid and every issue from decodeOrThrow', () => {
    const bad = makeTuningWorkspace({ resource: { count: 0 }, tuning: { method: 'full' as 'lora' } });
    let caught: unknown;
    try {
      decodeOrThrow(AnyWorkspace, bad, 'Workspace default/workspace-tuning-phi-3');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    const error = caught as DecodeError;
    expect(error.code).toBe('Invalid');
    expect(error.issues.map((i) => i.path).sort()).toEqual(['resource.count', 'tuning.method']);
    expect(error.message).toMatch(/^Workspace default\/workspace-tuning-phi-3 is invalid: /);
  });

  it('return the decoded value unchanged, unknown fields included', () => {
    const ws = { ...makeTuningWorkspace(), extra: { kept: true } };
    expect(decodeOrThrow(AnyWorkspace, ws)).toEqual(ws);
  });
});
