import { type Workspace } from '@kaito-ts/api';
import { makeTuningWorkspace } from '@kaito-ts/api/testing';
import type { V1Container } from '@kubernetes/client-node';
import { desiredProgressObjects, desiredTuningJob, type TuningJobSettings } from './job.js';
import { resolveTuningPlan } from './plan.js';
import { tuningRevision } from './revision.js';

const SETTINGS: TuningJobSettings = { dataPullerImage: 'quay.io/skopeo/stable:v1.16.1', backoffLimit: 0 };

function jobFor(ws: Workspace, settings: Partial<TuningJobSettings> = {}) {
  const resolved = resolveTuningPlan(ws);
  if (!resolved.ok) throw new Error(resolved.message);
  return desiredTuningJob({ workspace: ws, plan: resolved.plan, model: resolved.model, settings: { ...SETTINGS, ...settings } });
}

const withTuning = (tuning: Partial<NonNullable<Workspace['tuning']>>): Workspace => {
  const base = makeTuningWorkspace();
  return { ...base, tuning: { ...(base.tuning as NonNullable<Workspace['tuning']>), ...tuning } };
};
const env = (c: V1Container | undefined, name: string) => c?.env?.find((e) => e.name === name);

describe('desiredTuningJob', () => {
  const ws = makeTuningWorkspace();
  const job = jobFor(ws);
  const pod = job.spec?.template.spec;
  const tuner = pod?.containers[0];

  it('is the Job <name>, owned by the Workspace and stamped with its tuning revision', () => {
    expect(job.metadata).toMatchObject({ name: 'workspace-tuning-phi-3', namespace: 'default', annotations: { 'workspace.kaito.io/hash': tuningRevision(ws) } });
    expect(job.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Workspace', uid: 'uid-workspace-tuning-phi-3', controller: true })]);
    expect(pod?.restartPolicy).toBe('Never');
  });

  it('runs the tuning-runner with the render’s flags, the GPUs of the SKU and the termination message path', () => {
    expect(tuner?.command).toEqual(['tuning-runner']);
    expect(tuner?.args).toEqual(expect.arrayContaining(['--method=qlora', '--config=/mnt/config/training_config.yaml', '--data-dir=/mnt/data', '--results-dir=/mnt/results']));
    expect(tuner?.resources?.limits).toEqual({ 'nvidia.com/gpu': '1' });
    expect(tuner).toMatchObject({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
  });

  it('mounts the default qlora params at /mnt/config when tuning.config is not set', () => {
    expect(pod?.volumes).toContainEqual({ name: 'config-volume', configMap: { name: 'qlora-params-template' } });
    expect(tuner?.volumeMounts).toContainEqual(expect.objectContaining({ name: 'config-volume', mountPath: '/mnt/config' }));
  });

  it('passes input URLs as DATA_URLS and the output image with its push Secret only in the runner container', () => {
    expect(env(tuner, 'DATA_URLS')?.value).toBe(ws.tuning?.input.urls?.[0]);
    expect(env(tuner, 'OUTPUT_IMAGE')?.value).toBe('registry.example.com/adapters/phi-3:0.0.1');
    expect(env(tuner, 'DOCKER_CONFIG')?.value).toBe('/mnt/push-secret');
    expect(pod?.volumes).toContainEqual({ name: 'push-secret', secret: { secretName: 'registry-push', items: [{ key: '.dockerconfigjson', path: 'config.json' }] } });
    expect(pod?.imagePullSecrets).toBeUndefined(); // the push Secret is not a pull Secret of the pod
    expect(pod?.initContainers).toBeUndefined();
  });

  it('pins the pod to the Workspace’s node and tolerates its GPU taint', () => {
    const terms = pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions;
    expect(terms).toContainEqual({ key: 'kaito.sh/workspace', operator: 'In', values: ['workspace-tuning-phi-3'] });
    expect(terms).toContainEqual({ key: 'kaito.sh/workspacenamespace', operator: 'In', values: ['default'] });
    expect(pod?.tolerations).toContainEqual({ key: 'sku', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' });
  });

  it('writes progress as its own ServiceAccount, allowed to get and patch only its progress ConfigMap', () => {
    const p = desiredProgressObjects(ws);
    expect(pod?.serviceAccountName).toBe(p.serviceAccount.metadata.name);
    expect(env(tuner, 'PROGRESS_CONFIGMAP')?.value).toBe('workspace-tuning-phi-3-tuning-progress');
    expect(env(tuner, 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
    expect(p.role.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['workspace-tuning-phi-3-tuning-progress'], verbs: ['get', 'patch'] }]);
    expect(p.roleBinding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'workspace-tuning-phi-3-tuning', namespace: 'default' }]);
  });

  it('takes the image, backoffLimit, deadline, insecure registries and pod annotations from the settings', () => {
    const j = jobFor(ws, { image: 'localhost:5000/tuning-runner:dev', backoffLimit: 2, activeDeadlineSeconds: 3600, insecureRegistries: ['127.0.0.1:5000'], podAnnotations: { 'kaito-ts.dev/run-as-process': 'true' } });
    expect(j.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 3600 });
    expect(j.spec?.template.metadata?.annotations).toEqual({ 'kaito-ts.dev/run-as-process': 'true' });
    const c = j.spec?.template.spec?.containers[0];
    expect(c?.image).toBe('localhost:5000/tuning-runner:dev');
    expect(env(c, 'INSECURE_REGISTRIES')?.value).toBe('127.0.0.1:5000');
    expect(job.spec?.activeDeadlineSeconds).toBeUndefined();
  });

  it('copies an input image into /mnt/data with an init container and the input’s pull Secrets', () => {
    const j = jobFor(withTuning({ input: { image: 'registry.example.com/data:1', imagePullSecrets: ['data-pull'] } }));
    const spec = j.spec?.template.spec;
    expect(spec?.imagePullSecrets).toEqual([{ name: 'data-pull' }]);
    expect(spec?.initContainers?.[0]).toMatchObject({ name: 'data-puller', image: 'quay.io/skopeo/stable:v1.16.1', env: [{ name: 'INPUT_IMAGE', value: 'registry.example.com/data:1' }] });
    expect(spec?.initContainers?.[0]?.volumeMounts).toContainEqual({ name: 'data-volume', mountPath: '/mnt/data' });
    expect(env(spec?.containers[0], 'DATA_URLS')).toBeUndefined();
  });

  it('mounts an input volume at /mnt/data and an output volume at /mnt/output', () => {
    const j = jobFor(withTuning({ input: { volumeSource: { persistentVolumeClaim: { claimName: 'data' } } }, output: { volumeSource: { persistentVolumeClaim: { claimName: 'out' } } } }));
    const spec = j.spec?.template.spec;
    expect(spec?.volumes).toContainEqual({ name: 'data-volume', persistentVolumeClaim: { claimName: 'data' } });
    expect(spec?.volumes).toContainEqual({ name: 'output-volume', persistentVolumeClaim: { claimName: 'out' } });
    expect(env(spec?.containers[0], 'OUTPUT_VOLUME_DIR')?.value).toBe('/mnt/output');
    expect(env(spec?.containers[0], 'OUTPUT_IMAGE')).toBeUndefined();
  });

  it('mounts the user’s tuning.config instead of the default params', () => {
    const j = jobFor(withTuning({ config: 'my-tuning' }));
    expect(j.spec?.template.spec?.volumes).toContainEqual({ name: 'config-volume', configMap: { name: 'my-tuning' } });
  });

  it('changes its revision with the tuning spec, and only with it', () => {
    const other = withTuning({ input: { urls: ['https://data.example.com/other.parquet'] } });
    expect(tuningRevision(other)).not.toBe(tuningRevision(ws));
    const relabelled: Workspace = { ...ws, metadata: { ...ws.metadata, labels: { x: 'y' } } };
    expect(tuningRevision(relabelled)).toBe(tuningRevision(ws));
  });
});

describe('resolveTuningPlan', () => {
  it.each([
    ['a preset without tuning', { tuning: { preset: { name: 'llama-3.1-8b-instruct' } } }, 'TuningNotSupported'],
    ['an unknown preset', { tuning: { preset: { name: 'no-such-model' } } }, 'PresetNotFound'],
    ['an unknown instance type', { resource: { instanceType: 'Standard_Nope' } }, 'InstanceTypeNotFound'],
  ] as const)('refuses %s', (_what, overrides, reason) => {
    const base = makeTuningWorkspace();
    const ws = { ...base, ...('resource' in overrides ? { resource: { ...base.resource, ...overrides.resource } } : {}), ...('tuning' in overrides ? { tuning: { ...(base.tuning as NonNullable<Workspace['tuning']>), preset: overrides.tuning.preset } } : {}) };
    expect(resolveTuningPlan(ws)).toMatchObject({ ok: false, reason });
  });
});
