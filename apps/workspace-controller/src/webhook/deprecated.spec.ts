import { makeInferenceWorkspace, makeTuningWorkspace } from '@kaito-ts/api/testing';
import { makeAdmissionInput } from '../testing/admission.js';
import { deprecatedFields } from './deprecated.js';

describe('deprecatedFields', () => {
  it('admits the seed Workspace without warnings', () => {
    expect(deprecatedFields(makeAdmissionInput())).toEqual([]);
  });

  it('warns, without refusing, about each deprecated field that is set (imagePullSecrets is used, so not among them)', () => {
    const ws = makeInferenceWorkspace({
      resource: { preferredNodes: ['node-1'] },
      inference: { preset: { name: 'phi-3-mini-4k-instruct', accessMode: 'private', presetOptions: { image: 'x/y:1', imagePullSecrets: ['s'] } } },
    });
    expect(deprecatedFields(makeAdmissionInput({ workspace: ws }))).toEqual([
      { path: 'resource.preferredNodes', message: expect.stringContaining('is deprecated and ignored'), warning: true },
      { path: 'inference.preset.accessMode', message: expect.stringContaining('is deprecated and ignored'), warning: true },
      { path: 'inference.preset.presetOptions.image', message: expect.stringContaining('is deprecated and ignored'), warning: true },
    ]);
  });

  it('covers the tuning preset, and stays quiet on update', () => {
    const tuning = makeTuningWorkspace({ tuning: { preset: { name: 'phi-3-mini-128k-instruct', accessMode: 'public' } } });
    expect(deprecatedFields(makeAdmissionInput({ workspace: tuning })).map((f) => f.path)).toEqual(['tuning.preset.accessMode']);
    expect(deprecatedFields(makeAdmissionInput({ workspace: tuning, old: tuning }))).toEqual([]);
  });
});
