// The process kubelet on the real API server: pods bound to its node run as local processes with
// a kubelet's env, volumes, status, restarts, probes, termination messages and deletion.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { eventually } from '@kaito-ts/core/testing';
import { useNamespace, useProcessKubelet } from './testing/index.js';

const ns = useNamespace('process-kubelet');
const node = useProcessKubelet();

jest.setTimeout(120_000);

const pods = async (selector: string): Promise<V1Pod[]> =>
  (await ns.clients.core.listNamespacedPod({ namespace: ns.name, labelSelector: selector })).items;
const readPod = (name: string): Promise<V1Pod> => ns.clients.core.readNamespacedPod({ name, namespace: ns.name });
const state = (p: V1Pod, i = 0) => p.status?.containerStatuses?.[i]?.state;

function pod(name: string, spec: Partial<V1Pod['spec']> & { containers: NonNullable<V1Pod['spec']>['containers'] }): V1Pod {
  return { metadata: { name, namespace: ns.name }, spec: { nodeName: node.nodeName, restartPolicy: 'Never', ...spec } };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a Job run by the process kubelet', () => {
  it('sees env from a ConfigMap, a Secret and the downward API, reads volumes at their mount paths, and completes with its termination message', async () => {
    const { core, batch } = ns.clients;
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'settings' }, data: { greeting: 'hello', 'training_config.yaml': 'epochs: 2\n' } },
    });
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'creds' }, stringData: { password: 's3cret', user: 'ada' } } });
    const script = [
      'set -e',
      'cfg=$(cat /mnt/config/training_config.yaml)',
      'pw=$(cat /mnt/secret/password)',
      'printf "%s|%s|%s|%s|%s|%s|%s|%s|%s" "$GREETING" "$PASSWORD" "$CREDS_user" "$POD_NAME" "$POD_NS" "$POD_IP" "$MEM_MI" "$cfg" "$pw" > /dev/termination-log',
    ].join('\n');
    const job: V1Job = {
      metadata: { name: 'env-and-volumes' },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            nodeName: node.nodeName,
            restartPolicy: 'Never',
            containers: [
              {
                name: 'main',
                image: 'busybox:1.36',
                command: ['sh', '-c', script],
                resources: { limits: { memory: '64Mi' } },
                envFrom: [{ secretRef: { name: 'creds' }, prefix: 'CREDS_' }],
                env: [
                  { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
                  { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                  { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
                ],
                volumeMounts: [
                  { name: 'config', mountPath: '/mnt/config' },
                  { name: 'secret', mountPath: '/mnt/secret', readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: 'settings', items: [{ key: 'training_config.yaml', path: 'training_config.yaml' }] } },
              { name: 'secret', secret: { secretName: 'creds', defaultMode: 0o400 } },
            ],
          },
        },
      },
    };
    await batch.createNamespacedJob({ namespace: ns.name, body: job });
    const done = await eventually(
      async () => {
        const j = await batch.readNamespacedJob({ name: 'env-and-volumes', namespace: ns.name });
        expect(j.status?.succeeded).toBe(1);
        return j;
      },
      { timeoutMs: 60_000, description: 'job env-and-volumes succeeded' },
    );
    expect(done.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
    const [p] = await pods('job-name=env-and-volumes');
    expect(p?.status?.phase).toBe('Succeeded');
    const t = state(p!)?.terminated;
    expect(t?.exitCode).toBe(0);
    expect(t?.reason).toBe('Completed');
    expect(t?.message).toBe(`hello|s3cret|ada|${p?.metadata?.name}|${ns.name}|127.0.0.1|64|epochs: 2|s3cret`);
    expect(p?.status?.podIP).toBe('127.0.0.1');
    // The mounts lived in the container's private mount namespace only.
    expect(existsSync('/mnt/config/training_config.yaml')).toBe(false);
  });

  it('reports a non-zero exit with its reason, exit code and (FallbackToLogsOnError) the log tail, and retries up to backoffLimit', async () => {
    const { batch } = ns.clients;
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'fails' },
        spec: {
          backoffLimit: 1,
          template: {
            spec: {
              nodeName: node.nodeName,
              restartPolicy: 'Never',
              containers: [
                { name: 'main', image: 'busybox', command: ['sh', '-c', 'echo "dataset not found"; exit 3'], terminationMessagePolicy: 'FallbackToLogsOnError' },
              ],
            },
          },
        },
      },
    });
    const job = await eventually(
      async () => {
        const j = await batch.readNamespacedJob({ name: 'fails', namespace: ns.name });
        expect(j.status?.conditions?.find((c) => c.type === 'Failed')?.status).toBe('True');
        return j;
      },
      { timeoutMs: 90_000, description: 'job fails Failed' },
    );
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const ps = await pods('job-name=fails');
    expect(ps).toHaveLength(2);
    for (const p of ps) {
      expect(p.status?.phase).toBe('Failed');
      expect(state(p)?.terminated).toMatchObject({ exitCode: 3, reason: 'Error', message: 'dataset not found' });
      expect(node.logs(p, 'main')).toBe('dataset not found\n');
    }
  });
});

describe('pods run by the process kubelet', () => {
  it('stay NotReady while the readiness probe fails, and become Ready when it passes', async () => {
    const { core } = ns.clients;
    const probed = (name: string, cmd: string): V1Pod =>
      pod(name, {
        restartPolicy: 'Always',
        containers: [{ name: 'main', image: 'busybox', command: ['sleep', '300'], readinessProbe: { exec: { command: ['sh', '-c', cmd] }, periodSeconds: 1 } }],
      });
    await core.createNamespacedPod({ namespace: ns.name, body: probed('probe-fails', 'exit 1') });
    await core.createNamespacedPod({ namespace: ns.name, body: probed('probe-passes', 'test -d /proc') });
    await eventually(async () => {
      const p = await readPod('probe-passes');
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    });
    // By now the failing probe has run several times (period 1 s).
    await new Promise((r) => setTimeout(r, 3000));
    const failing = await readPod('probe-fails');
    expect(failing.status?.phase).toBe('Running');
    expect(state(failing)?.running).toBeDefined();
    expect(failing.status?.containerStatuses?.[0]?.ready).toBe(false);
    expect(failing.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
  });

  it('show CrashLoopBackOff with a growing back-off when a container keeps crashing', async () => {
    const { core } = ns.clients;
    await core.createNamespacedPod({
      namespace: ns.name,
      body: pod('crasher', { restartPolicy: 'Always', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo boom; exit 2'] }] }),
    });
    const seen = new Set<string>();
    await eventually(
      async () => {
        const p = await readPod('crasher');
        const cs = p.status?.containerStatuses?.[0];
        const w = cs?.state?.waiting;
        if (w?.reason === 'CrashLoopBackOff') seen.add(/back-off (\S+) restarting/.exec(w.message ?? '')?.[1] ?? '?');
        expect(cs?.restartCount ?? 0).toBeGreaterThanOrEqual(3);
        expect([...seen]).toEqual(expect.arrayContaining(['1s', '2s', '4s']));
        expect(cs?.lastState?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
      },
      { timeoutMs: 60_000, intervalMs: 200, description: 'crasher backs off 1s, 2s, 4s' },
    );
    const p = await readPod('crasher');
    expect(p.status?.phase).toBe('Running');
    expect(node.logs(p, 'main', 1)).toBe('boom\n');
  });

  it('give CreateContainerConfigError for a missing Secret key', async () => {
    const { core } = ns.clients;
    await core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'partial' }, stringData: { present: 'x' } } });
    await core.createNamespacedPod({
      namespace: ns.name,
      body: pod('missing-key', {
        containers: [{ name: 'main', image: 'busybox', command: ['true'], env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'partial', key: 'absent' } } }] }],
      }),
    });
    await eventually(async () => {
      const p = await readPod('missing-key');
      expect(p.status?.phase).toBe('Pending');
      expect(state(p)?.waiting).toEqual({ reason: 'CreateContainerConfigError', message: `couldn't find key absent in Secret ${ns.name}/partial (env X)` });
    });
  });

  it('give an unmapped image a clear ErrImagePull/ImagePullBackOff waiting reason', async () => {
    const { core } = ns.clients;
    await core.createNamespacedPod({ namespace: ns.name, body: pod('unmapped', { containers: [{ name: 'main', image: 'example.com/nobody/unknown:1.0' }] }) });
    await eventually(async () => {
      const p = await readPod('unmapped');
      const w = state(p)?.waiting;
      expect(['ErrImagePull', 'ImagePullBackOff']).toContain(w?.reason);
      expect(w?.message).toContain('image "example.com/nobody/unknown:1.0" has no local command in');
      expect(w?.message).toContain('kubelet-images.yaml');
    });
  });

  it('stop a deleted pod with SIGTERM; the process is gone within the grace period', async () => {
    const { core } = ns.clients;
    const host = mkdtempSync(join(tmpdir(), 'kubelet-sigterm-'));
    try {
      const body = pod('sigterm', {
        terminationGracePeriodSeconds: 20,
        containers: [
          {
            name: 'main',
            image: 'busybox',
            command: ['sh', '-c', 'trap "echo TERM > /out/signal; exit 0" TERM; echo trapped; while true; do sleep 0.2; done'],
            volumeMounts: [{ name: 'out', mountPath: '/out' }],
          },
        ],
        volumes: [{ name: 'out', hostPath: { path: host } }],
      });
      body.metadata = { ...body.metadata, annotations: { 'kaito-ts.dev/writable-host-paths': 'out' } };
      await core.createNamespacedPod({ namespace: ns.name, body });
      const running = await eventually(async () => {
        const p = await readPod('sigterm');
        expect(state(p)?.running).toBeDefined();
        // The trap is set once the log says so.
        expect(node.logs(p, 'main')).toBe('trapped\n');
        return p;
      });
      const pid = Number(/^process:\/\/(\d+)$/.exec(running.status?.containerStatuses?.[0]?.containerID ?? '')?.[1]);
      expect(pidAlive(pid)).toBe(true);
      const t0 = Date.now();
      await core.deleteNamespacedPod({ name: 'sigterm', namespace: ns.name });
      await eventually(() => expect(pidAlive(pid)).toBe(false), { timeoutMs: 20_000, intervalMs: 100 });
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(readFileSync(join(host, 'signal'), 'utf8')).toBe('TERM\n');
      await eventually(async () => {
        await expect(readPod('sigterm')).rejects.toMatchObject({ code: 404 });
      });
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('keep a deleted pod in the API until its last container has stopped, though another stopped first', async () => {
    const { core } = ns.clients;
    await core.createNamespacedPod({
      namespace: ns.name,
      body: pod('two-stops', {
        terminationGracePeriodSeconds: 30,
        containers: [
          { name: 'quick', image: 'busybox', command: ['sh', '-c', 'echo up; exec sleep 600'] },
          // Keeps running 6 s after SIGTERM, well inside the grace period.
          { name: 'slow', image: 'busybox', command: ['sh', '-c', 'trap "sleep 6; exit 0" TERM; echo trapped; while true; do sleep 0.2; done'] },
        ],
      }),
    });
    const running = await eventually(async () => {
      const p = await readPod('two-stops');
      expect(state(p, 0)?.running).toBeDefined();
      expect(state(p, 1)?.running).toBeDefined();
      expect(node.logs(p, 'slow')).toBe('trapped\n');
      return p;
    });
    const pidOf = (i: number): number => Number(/^process:\/\/(\d+)$/.exec(running.status?.containerStatuses?.[i]?.containerID ?? '')?.[1]);
    const [quick, slow] = [pidOf(0), pidOf(1)];
    await core.deleteNamespacedPod({ name: 'two-stops', namespace: ns.name });
    await eventually(() => expect(pidAlive(quick)).toBe(false), { timeoutMs: 10_000, intervalMs: 100 });
    // The quick one's exit is a status write, which reconciles the pod again: it must still be there.
    await new Promise((r) => setTimeout(r, 1500));
    expect(pidAlive(slow)).toBe(true);
    expect((await readPod('two-stops')).metadata?.deletionTimestamp).toBeDefined();
    await eventually(async () => {
      await expect(readPod('two-stops')).rejects.toMatchObject({ code: 404 });
    }, { timeoutMs: 30_000 });
    expect(pidAlive(slow)).toBe(false);
  });

  it('serve on 127.0.0.1: podIP 127.0.0.1, an httpGet readiness probe, and a remapped hostPort recorded and proxied', async () => {
    const { core } = ns.clients;
    const containerPort = await freePort();
    const hostPort = await freePort();
    await core.createNamespacedPod({
      namespace: ns.name,
      body: pod('web', {
        restartPolicy: 'Always',
        containers: [
          {
            name: 'web',
            image: 'busybox',
            command: ['python3', '-m', 'http.server', String(containerPort), '--bind', '127.0.0.1', '--directory', '/srv'],
            ports: [{ name: 'http', containerPort, hostPort }],
            readinessProbe: { httpGet: { path: '/hello.txt', port: 'http' }, periodSeconds: 1 },
            volumeMounts: [{ name: 'content', mountPath: '/srv' }],
          },
        ],
        volumes: [{ name: 'content', configMap: { name: 'site' } }],
      }),
    });
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'site' }, data: { 'hello.txt': 'hi from the pod' } } });
    const ready = await eventually(async () => {
      const p = await readPod('web');
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      return p;
    });
    expect(ready.status?.podIP).toBe('127.0.0.1');
    expect(JSON.parse(ready.metadata?.annotations?.['kaito-ts.dev/host-ports'] ?? '{}')).toEqual({ [`web/${containerPort}`]: hostPort });
    expect(await (await fetch(`http://127.0.0.1:${containerPort}/hello.txt`)).text()).toBe('hi from the pod');
    expect(await (await fetch(`http://127.0.0.1:${hostPort}/hello.txt`)).text()).toBe('hi from the pod');
  });
});
