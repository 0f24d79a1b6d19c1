// Catalog parity with the reference system (Kaito): every preset name a Kaito Workspace may carry
// resolves here, to the model Kaito means by it. The names live in fixtures/reference-v0.12-presets.json,
// with the files and commits they were read from.
import { formatIssue } from '@kaito-ts/core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import modelData from './catalog/models.json' with { type: 'json' };
import { OPTIONAL_SOURCED_FACTS, SOURCED_FACTS } from './catalog/model-codec.js';
import { CatalogInvalidError } from './errors.js';
import { decodeModelCatalog, findModel, getModel, listModels } from './models.js';

interface ReferencePresets {
  legacyPresetNames: Record<string, string>;
  catalogModels: string[];
  baselineModels: string[];
  knownMissing: string[];
}

const RELATIVE = join('packages', 'presets', 'fixtures', 'reference-v0.12-presets.json');

function loadReference(start = process.cwd()): ReferencePresets {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return JSON.parse(readFileSync(candidate, 'utf8')) as ReferencePresets;
    if (dirname(dir) === dir) throw new Error(`cannot find ${RELATIVE} above ${start}`);
  }
}

const reference = loadReference();

describe('reference preset names', () => {
  it('lists the reference names it checks', () => {
    // a truncated fixture would make the tests below pass vacuously
    expect(Object.keys(reference.legacyPresetNames)).toHaveLength(25);
    expect(reference.catalogModels).toHaveLength(32);
  });

  it.each(Object.entries(reference.legacyPresetNames))('resolves the reference preset name %s to %s', (name, hfId) => {
    expect(getModel(name).hfRepo.toLowerCase()).toBe(hfId.toLowerCase());
  });

  it.each(reference.catalogModels)('resolves the reference catalog id %s to its own entry', (hfId) => {
    expect(getModel(hfId).hfRepo).toBe(hfId);
  });

  it.each(reference.catalogModels)('resolves %s by our own name too', (hfId) => {
    const model = getModel(hfId);
    expect(findModel(model.name)).toBe(model);
  });

  it.each(reference.baselineModels)('resolves %s, a model of the reference GSM8K baselines, by its Hugging Face id', (hfId) => {
    expect(getModel(hfId).hfRepo).toBe(hfId);
  });

  it.each(reference.knownMissing)('does not yet have %s (move it to baselineModels once added)', (hfId) => {
    expect(findModel(hfId)).toBeUndefined();
  });

  it.each([
    ['gemma-3-4b-instruct', 'gemma-3-4b-it'],
    ['gemma-3-27b-instruct', 'gemma-3-27b-it'],
    ['ministral-3-3b', 'ministral-3-3b-instruct'],
    ['ministral-3-8b', 'ministral-3-8b-instruct'],
    ['ministral-3-14b', 'ministral-3-14b-instruct'],
    ['mistral-large-3-675b', 'mistral-large-3-675b-instruct'],
    ['GEMMA-3-27B-INSTRUCT', 'gemma-3-27b-it'],
  ])('treats %s as %s', (alias, name) => {
    expect(getModel(alias).name).toBe(name);
  });

  it.each(['falcon-7b', 'falcon-7b-instruct', 'falcon-40b', 'falcon-40b-instruct', 'gemma-3-1b-it', 'gemma-3-12b-it'])(
    'keeps %s, which the reference dropped',
    (name) => {
      expect(findModel(name)?.name).toBe(name);
    },
  );
});

describe('catalog sources', () => {
  it.each(listModels().map((m) => [m.name, m] as const))('names a source for every fact of %s', (_name, m) => {
    const facts: string[] = [...SOURCED_FACTS];
    if (m.quantization !== undefined) facts.push('quantization');
    if (m.arch.tieWordEmbeddings !== undefined) facts.push('tieWordEmbeddings');
    if (m.arch.kvLoraRank !== undefined) facts.push('kvLoraRank', 'qkRopeHeadDim');
    for (const fact of facts) expect({ fact, source: (m.sources as Record<string, string | undefined>)[fact] }).toEqual({ fact, source: expect.stringMatching(/\S/) });
    // anything marked unverified is a fact the entry has, and its source says why
    for (const fact of m.unverified ?? []) expect(facts).toContain(fact);
  });

  it('sources only the optional facts that exist', () => {
    expect(OPTIONAL_SOURCED_FACTS).toEqual(['quantization', 'tieWordEmbeddings', 'kvLoraRank', 'qkRopeHeadDim']);
  });

  const models = (): Record<string, unknown>[] => structuredClone((modelData as { models: Record<string, unknown>[] }).models);
  const phi4 = (ms: Record<string, unknown>[]): number => ms.findIndex((m) => m['name'] === 'phi-4');
  const gptOss = (ms: Record<string, unknown>[]): number => ms.findIndex((m) => m['name'] === 'gpt-oss-20b');
  const problemsOf = (ms: Record<string, unknown>[]): string => {
    try {
      decodeModelCatalog({ models: ms });
    } catch (e) {
      expect(e).toBeInstanceOf(CatalogInvalidError);
      return (e as CatalogInvalidError).issues.map(formatIssue).join('\n');
    }
    throw new Error('expected the catalog to be refused');
  };

  it.each([
    [
      'sources: expected an object, got nothing',
      (ms: Record<string, unknown>[]) => {
        const i = phi4(ms);
        const { sources: _dropped, ...rest } = ms[i] as Record<string, unknown>;
        ms[i] = rest;
      },
    ],
    [
      'sources.vocabSize: expected a non-empty string, got nothing',
      (ms: Record<string, unknown>[]) => {
        const i = phi4(ms);
        const { vocabSize: _dropped, ...rest } = (ms[i] as { sources: Record<string, unknown> }).sources;
        ms[i] = { ...ms[i], sources: rest };
      },
    ],
    [
      'sources.quantization: expected a source for quantization, got nothing',
      (ms: Record<string, unknown>[]) => {
        const i = gptOss(ms);
        const { quantization: _dropped, ...rest } = (ms[i] as { sources: Record<string, unknown> }).sources;
        ms[i] = { ...ms[i], sources: rest };
      },
    ],
    [
      'sources.tieWordEmbeddings: expected a source for tieWordEmbeddings, got nothing',
      (ms: Record<string, unknown>[]) => {
        const i = phi4(ms);
        ms[i] = { ...ms[i], arch: { ...(ms[i] as { arch: Record<string, unknown> }).arch, tieWordEmbeddings: false } };
      },
    ],
    [
      'sources.tieWordEmbeddings: the entry has no tieWordEmbeddings to source',
      (ms: Record<string, unknown>[]) => {
        const i = phi4(ms);
        ms[i] = { ...ms[i], sources: { ...(ms[i] as { sources: Record<string, unknown> }).sources, tieWordEmbeddings: 'a config.json' } };
      },
    ],
    [
      'unverified[0]: expected a sourced fact name, got "colour"',
      (ms: Record<string, unknown>[]) => {
        ms[phi4(ms)] = { ...ms[phi4(ms)], unverified: ['colour'] };
      },
    ],
    [
      'unverified[0]: "quantization" is not a fact of this entry',
      (ms: Record<string, unknown>[]) => {
        ms[phi4(ms)] = { ...ms[phi4(ms)], unverified: ['quantization'] };
      },
    ],
    [
      'unverified[1]: "dtype" is listed twice',
      (ms: Record<string, unknown>[]) => {
        ms[phi4(ms)] = { ...ms[phi4(ms)], unverified: ['dtype', 'dtype'] };
      },
    ],
    [
      'name: "gemma-3-27b-instruct" is already used by',
      (ms: Record<string, unknown>[]) => {
        ms[phi4(ms)] = { ...ms[phi4(ms)], aliases: ['gemma-3-27b-instruct'] };
      },
    ],
  ])('refuses an entry whose sources are wrong: %s', (message, corrupt) => {
    const ms = models();
    corrupt(ms);
    expect(problemsOf(ms)).toContain(message);
  });
});
