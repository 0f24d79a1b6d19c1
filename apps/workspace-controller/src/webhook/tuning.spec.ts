import type { Workspace } from '@kaito-ts/api';
import { makeInferenceWorkspace, makeTuningWorkspace } from '@kaito-ts/api/testing';
import { getModel } from '@kaito-ts/presets';
import { makeAdmissionInput } from '../testing/admission.js';
import { tuningRules } from './tuning.js';
import { presetCatalog } from './types.js';

const QLORA_4BIT = 'training_config:\n  QuantizationConfig:\n    load_in_4bit: true\n';
// A qlora config without a QuantizationConfig section takes the template's 4-bit; "no quantisation" is saying so.
const NO_QUANTISATION = 'training_config:\n  QuantizationConfig:\n    load_in_4bit: false\n';

function tuning(o: { method?: 'lora' | 'qlora'; urls?: string[]; config?: string; preset?: string } = {}): Workspace {
  const ws = makeTuningWorkspace({ metadata: { name: 'tune', namespace: 'team-a' } });
  const t = ws.tuning;
  if (t === undefined) throw new Error('the factory makes a tuning Workspace');
  return {
    ...ws,
    tuning: {
      ...t,
      method: o.method ?? t.method,
      preset: { name: o.preset ?? t.preset.name },
      input: { ...t.input, urls: o.urls ?? t.input.urls ?? [] },
      ...(o.config !== undefined ? { config: o.config } : {}),
    },
  };
}

describe('tuningRules: tuning.config', () => {
  it.each([
    ['qlora with 4-bit quantisation', 'qlora', QLORA_4BIT],
    ['lora without quantisation', 'lora', NO_QUANTISATION],
    ['output_dir under /mnt', 'qlora', `${QLORA_4BIT}  TrainingArguments:\n    output_dir: /mnt/results\n`],
  ] as const)('admits %s', (_, method, text) => {
    expect(tuningRules(makeAdmissionInput({ workspace: tuning({ method, config: 'cfg' }), configMaps: { cfg: { 'training_config.yaml': text } } }))).toEqual([]);
  });

  it.each([
    ['qlora with no quantisation', 'qlora', { 'training_config.yaml': NO_QUANTISATION }, 'ConfigMap cfg training_config.yaml: training_config.QuantizationConfig: method qlora needs load_in_4bit or load_in_8bit set to true'],
    ['lora with quantisation', 'lora', { 'training_config.yaml': QLORA_4BIT }, 'method lora cannot load the model in 4 bit; use method qlora'],
    ['an unknown section', 'qlora', { 'training_config.yaml': `${QLORA_4BIT}  Bogus:\n    x: 1\n` }, 'Bogus'],
    ['output_dir that is /mnt itself', 'qlora', { 'training_config.yaml': `${QLORA_4BIT}  TrainingArguments:\n    output_dir: /mnt\n` }, 'output_dir: expected a path under /mnt'],
    ['a ConfigMap without the key', 'qlora', { other: 'x' }, 'ConfigMap cfg has no key training_config.yaml (it holds: other)'],
    ['a missing ConfigMap', 'qlora', null, 'ConfigMap cfg not found in namespace team-a; create it first with key training_config.yaml'],
  ] as const)('refuses %s, naming the field', (_, method, data, message) => {
    const findings = tuningRules(makeAdmissionInput({ workspace: tuning({ method, config: 'cfg' }), configMaps: { cfg: data } }));
    expect(findings).toEqual([{ path: 'tuning.config', message: expect.stringContaining(message) }]);
  });

  it('skips a ConfigMap that was not looked up, no tuning.config (the defaults), and updates', () => {
    expect(tuningRules(makeAdmissionInput({ workspace: tuning({ config: 'cfg' }) }))).toEqual([]);
    expect(tuningRules(makeAdmissionInput({ workspace: tuning(), configMaps: {} }))).toEqual([]);
    const bad = { cfg: { 'training_config.yaml': NO_QUANTISATION } };
    expect(tuningRules(makeAdmissionInput({ workspace: tuning({ config: 'cfg' }), old: tuning({ config: 'cfg' }), configMaps: bad }))).toEqual([]);
  });
});

describe('tuningRules: tuning.input.urls', () => {
  it.each([
    'https://huggingface.co/datasets/x/resolve/main/train.parquet?download=true',
    'http://data.example.com/train.parquet',
    'https://8.8.8.8/train.parquet',
    'https://[2001:4860:4860::8888]/train.parquet',
    // a name is not judged here: the pre-flight resolves it
    'https://internal.corp.example/train.parquet',
  ])('admits %s', (url) => {
    expect(tuningRules(makeAdmissionInput({ workspace: tuning({ urls: [url] }) }))).toEqual([]);
  });

  it.each([
    ['ftp://data.example.com/x.parquet', 'expected an http(s) URL, got a ftp: URL'],
    ['file:///etc/passwd', 'expected an http(s) URL, got a file: URL'],
    ['not a url', 'expected an http(s) URL, got "not a url"'],
    ['http://localhost:8080/x.parquet', 'host localhost is localhost'],
    ['http://LOCALHOST/x.parquet', 'host localhost is localhost'],
    ['http://api.localhost/x.parquet', 'host api.localhost is localhost'],
    ['http://127.0.0.1/x.parquet', 'host 127.0.0.1 is a loopback address'],
    ['http://[::1]/x.parquet', 'host [::1] is a loopback address'],
    ['http://10.1.2.3/x.parquet', 'host 10.1.2.3 is a private address'],
    ['http://172.20.0.1/x.parquet', 'is a private address'],
    ['http://192.168.1.1/x.parquet', 'is a private address'],
    ['http://[fd12::1]/x.parquet', 'is a private address'],
    ['http://169.254.1.1/x.parquet', 'is a link-local address'],
    ['http://169.254.169.254/latest/meta-data', 'host 169.254.169.254 is a metadata address'],
    ['http://100.100.100.200/x', 'is a metadata address'],
    ['http://[::ffff:10.0.0.1]/x.parquet', 'is a private address'],
    ['http://0.0.0.0/x.parquet', 'is a unspecified address'],
  ])('refuses %s', (url, message) => {
    const findings = tuningRules(makeAdmissionInput({ workspace: tuning({ urls: ['https://ok.example.com/a.parquet', url] }) }));
    expect(findings).toEqual([{ path: 'tuning.input.urls[1]', message: expect.stringContaining(message) }]);
  });

  it('admits loopback and localhost hosts, and only those, when the controller allows loopback inputs (local e2e, the demo)', () => {
    const policy = { allowLoopbackInputs: true };
    const urls = ['http://127.0.0.1:8080/a.parquet', 'http://localhost/b.parquet', 'http://[::1]/c.parquet', 'http://10.1.2.3/d.parquet', 'http://169.254.169.254/latest'];
    expect(tuningRules(makeAdmissionInput({ workspace: tuning({ urls }), policy }))).toEqual([
      { path: 'tuning.input.urls[3]', message: expect.stringContaining('is a private address') },
      { path: 'tuning.input.urls[4]', message: expect.stringContaining('is a metadata address') },
    ]);
  });

  it('checks URLs on an update only when they changed', () => {
    const old = tuning({ urls: ['http://10.0.0.1/a.parquet'] });
    expect(tuningRules(makeAdmissionInput({ workspace: tuning({ urls: ['http://10.0.0.1/a.parquet'] }), old }))).toEqual([]);
    expect(tuningRules(makeAdmissionInput({ workspace: tuning({ urls: ['http://10.0.0.2/a.parquet'] }), old }))).toEqual([
      { path: 'tuning.input.urls[0]', message: expect.stringContaining('is a private address') },
    ]);
  });
});

describe('tuningRules: tuning.preset and method', () => {
  it.each([
    ['an unknown preset', { preset: 'phi-3-mini-128k-instruc' }, 'tuning.preset.name', 'unknown model "phi-3-mini-128k-instruc"; did you mean "phi-3-mini-128k-instruct"'],
    ['a preset that cannot be tuned', { preset: 'llama-3.1-8b-instruct' }, 'tuning.preset.name', 'llama-3.1-8b-instruct does not support tuning'],
  ] as const)('refuses %s', (_, o, path, message) => {
    expect(tuningRules(makeAdmissionInput({ workspace: tuning(o) }))).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it('refuses a method the preset does not support, naming the ones it does', () => {
    const phi = getModel('phi-3-mini-128k-instruct');
    const loraOnly = { ...presetCatalog, getModel: () => ({ ...phi, tuning: { methods: ['lora' as const], diskGiB: 80 } }) };
    const input = { ...makeAdmissionInput({ workspace: tuning({ method: 'qlora' }) }), catalog: loraOnly };
    expect(tuningRules(input)).toEqual([{ path: 'tuning.method', message: 'phi-3-mini-128k-instruct does not support qlora tuning; it supports lora (e.g. method: lora)' }]);
  });

  it('leaves inference Workspaces alone', () => {
    expect(tuningRules(makeAdmissionInput({ workspace: makeInferenceWorkspace() }))).toEqual([]);
  });
});
