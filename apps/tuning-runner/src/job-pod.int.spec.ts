/**
 * The real tuning-runner as a tuning Job's pod on the local control plane, run by the process
 * kubelet: training_config.yaml from a ConfigMap at /mnt/config, a dolly-style parquet served over
 * local HTTP as the input URL, the tiny model, a local registry with a push Secret mounted as a
 * docker config. The Job completes, the pod's termination message carries the digest, and the
 * image is pulled back by that digest.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useNamespace, useProcessKubelet } from '@kaito-ts/cluster/testing';
import { eventually } from '@kaito-ts/core/testing';
import { loadCredentials } from './oci/docker-config.js';
import { MediaTypes } from './oci/push.js';
import { parseImageRef } from './oci/reference.js';
import { RegistryClient } from './oci/registry.js';
import { dollyRows, writeDollyParquet } from './testing/fixtures.js';
import { dockerConfigDir, startRegistry, TRAINER_DIR, trainerPython, type Registry } from './testing/processes.js';

const USER = 'pusher';
const PASSWORD = 'correct-horse-battery';
const IMAGE = 'ghcr.io/kaito-project/kaito-ts/tuning-runner:0.1.0';

const ns = useNamespace('tuning-job');
const node = useProcessKubelet();

let root: string;
let modelDir: string;
let registry: Registry;
let configDir: string;
let data: Server;
let dataUrl: string;
const python = trainerPython();

beforeAll(async () => {
  // The image maps to the built runner (tools/cluster/kubelet-images.yaml).
  if (!existsSync(join(__dirname, '..', 'dist', 'main.js'))) throw new Error('build the tuning-runner first: npx tsc -b apps/tuning-runner/tsconfig.json');
  root = await mkdtemp(join(tmpdir(), 'tr-job-'));
  modelDir = join(root, 'model');
  const built = spawnSync(python, ['-m', 'kaito_trainer.tiny', '--out', modelDir], { cwd: TRAINER_DIR, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the tiny model failed:\n${built.stderr}`);
  registry = await startRegistry({ kind: 'htpasswd', username: USER, password: PASSWORD });
  configDir = await dockerConfigDir(registry.host, USER, PASSWORD);
  const parquet = join(root, 'train.parquet');
  await writeDollyParquet(parquet, dollyRows(24));
  data = createServer((req, res) => {
    if (req.url !== '/datasets/train.parquet') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    createReadStream(parquet).pipe(res);
  });
  await new Promise<void>((r) => data.listen(0, '127.0.0.1', r));
  dataUrl = `http://127.0.0.1:${(data.address() as AddressInfo).port}/datasets/train.parquet`;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((r) => (data ? data.close(() => r()) : r()));
  await registry?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const trainingConfig = (): string =>
  [
    'training_config:',
    '  ModelConfig:',
    `    pretrained_model_name_or_path: "${modelDir}"`,
    '    torch_dtype: "float32"',
    '  LoraConfig:',
    '    r: 4',
    '    lora_alpha: 8',
    '    target_modules: ["q_proj", "v_proj"]',
    '  TrainingArguments:',
    '    max_steps: 4',
    '    per_device_train_batch_size: 4',
    '    learning_rate: 0.01',
    '    logging_steps: 1',
    '    max_length: 128',
  ].join('\n');

it('runs the tuning-runner image as a Job pod: trains, pushes, and reports the digest in the termination message', async () => {
  const { core, batch } = ns.clients;
  const output = `${registry.host}/adapters/job-pod:0.0.1`;
  await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'tuning-config' }, data: { 'training_config.yaml': trainingConfig() } } });
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  await core.createNamespacedSecret({
    namespace: ns.name,
    body: {
      metadata: { name: 'push-secret' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [registry.host]: { auth } } }) },
    },
  });
  await batch.createNamespacedJob({
    namespace: ns.name,
    body: {
      metadata: { name: 'tuning' },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            nodeName: node.nodeName,
            restartPolicy: 'Never',
            containers: [
              {
                name: 'tuning',
                image: IMAGE,
                env: [
                  { name: 'TUNING_METHOD', value: 'lora' },
                  { name: 'PRESET_NAME', value: 'tiny-llama' },
                  { name: 'DATA_URLS', value: dataUrl },
                  { name: 'OUTPUT_IMAGE', value: output },
                  { name: 'INSECURE_REGISTRIES', value: registry.host },
                  { name: 'DOCKER_CONFIG', value: '/root/.docker-push' },
                  { name: 'RESULTS_DIR', value: '/mnt/results' },
                  { name: 'WORK_DIR', value: '/mnt/work' },
                  { name: 'TRAINER_PYTHON', value: python },
                  { name: 'GRACE_PERIOD_SECONDS', value: '20' },
                ],
                volumeMounts: [
                  { name: 'config', mountPath: '/mnt/config' },
                  { name: 'push', mountPath: '/root/.docker-push', readOnly: true },
                  { name: 'results', mountPath: '/mnt/results' },
                  { name: 'work', mountPath: '/mnt/work' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'tuning-config' } },
              { name: 'push', secret: { secretName: 'push-secret', items: [{ key: '.dockerconfigjson', path: 'config.json' }] } },
              { name: 'results', emptyDir: {} },
              { name: 'work', emptyDir: {} },
            ],
          },
        },
      },
    },
  });
  await eventually(
    async () => {
      const j = await batch.readNamespacedJob({ name: 'tuning', namespace: ns.name });
      if (j.status?.failed) throw new Error(`the tuning Job failed`);
      expect(j.status?.succeeded).toBe(1);
    },
    { timeoutMs: 300_000, intervalMs: 1000, description: 'tuning Job complete' },
  ).catch(async (err: unknown) => {
    const [p] = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=tuning' })).items;
    throw new Error(`${(err as Error).message}\npod status: ${JSON.stringify(p?.status?.containerStatuses)}\nlog:\n${p ? node.logs(p, 'tuning').slice(-4000) : ''}`);
  });

  const [p] = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=tuning' })).items;
  const terminated = p?.status?.containerStatuses?.[0]?.state?.terminated;
  expect(terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  const report = JSON.parse(terminated?.message ?? '{}') as { phase: string; reason: string; digest: string; image: string; step: number };
  expect(report).toMatchObject({ phase: 'Succeeded', reason: 'TuningSucceeded', image: output, step: 4 });
  expect(report.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(node.logs(p!, 'tuning')).not.toContain(PASSWORD);

  // Pulled back by the digest the pod reported.
  const ref = parseImageRef(`${registry.host}/adapters/job-pod@${report.digest}`);
  const credentials = await loadCredentials(configDir, registry.host);
  const client = new RegistryClient(ref, { insecure: true, ...(credentials ? { credentials } : {}) });
  const manifest = await client.getManifest(report.digest, MediaTypes.manifest);
  expect(manifest.digest ?? report.digest).toBe(report.digest);
  expect((JSON.parse(manifest.body.toString()) as { annotations: Record<string, string> }).annotations).toEqual({ 'sh.kaito.model.name': 'tiny-llama' });
}, 400_000);
