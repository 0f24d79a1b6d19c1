// The pod worker with real processes (unshare + bind mounts: as root, or in a user namespace with
// passwordless sudo for mount points outside this user's reach, as the process kubelet) and a fake
// API: statuses are recorded instead of written.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@kaito-ts/controller-runtime/testing';
import { kubeletDirs } from './dirs.js';
import { parseImageMap } from './image-map.js';
import { containerLogFile, PodWorker } from './pod-worker.js';
import type { Pod } from './types.js';

interface Status {
  phase: string;
  conditions: { type: string; status: string }[];
  containerStatuses: { name: string; ready: boolean; restartCount: number; state: Record<string, Record<string, unknown>> }[];
  initContainerStatuses?: { name: string; state: Record<string, Record<string, unknown>> }[];
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pod-worker-spec-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function worker(spec: Pod['spec'], images = 'images: [{ image: busybox }]'): { w: PodWorker; statuses: Status[]; pod: Pod } {
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'ns', uid: `uid-${Math.random().toString(36).slice(2)}`, annotations: { 'kaito-ts.dev/writable-host-paths': 'out,state' } },
    spec,
  };
  const statuses: Status[] = [];
  const w = new PodWorker(pod, {
    lookup: { configMap: async () => ({ k: 'v' }), secret: async () => undefined, serviceAccountToken: async () => '' },
    imageMap: () => parseImageMap(images, 'images.yaml'),
    writeStatus: async (_p, s) => void statuses.push(JSON.parse(JSON.stringify(s)) as Status),
    annotate: async () => undefined,
    nodeAllocatable: {},
    dirs: kubeletDirs(dir),
    logger: silentLogger(),
    baseEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    backoff: { initialMs: 100, maxMs: 400 },
    retryMs: 100,
  });
  return { w, statuses, pod };
}

const last = (s: Status[]): Status => s[s.length - 1] as Status;

describe('PodWorker', () => {
  it('passes env vars whose names are not shell identifiers (adapter strengths) on to the program', async () => {
    const { w, statuses, pod } = worker({
      restartPolicy: 'Never',
      containers: [{ name: 'main', image: 'busybox', command: ['env'], env: [{ name: 'tuned-phi-3', value: '0.5' }] }],
    });
    await w.start();
    expect(last(statuses).phase).toBe('Succeeded');
    expect(readFileSync(containerLogFile(kubeletDirs(dir), pod, 'main', 0), 'utf8').split('\n')).toContain('tuned-phi-3=0.5');
  });

  it("shows the image's files at their container paths, read-only, beside the pod's volumes, with the image's ENV built on the kubelet's", async () => {
    const files = join(dir, 'image-files');
    const inImage = join(dir, 'container-root', 'app');
    mkdirSync(files);
    writeFileSync(join(files, 'serve.sh'), 'echo "image file ran with PATH=$PATH"\n');
    writeFileSync(join(files, 'shadowed'), 'from the image\n');
    const images = JSON.stringify({ images: [{ image: 'example.com/standin', files: { [inImage]: files }, env: { PATH: `/opt/standin/bin:$(PATH)` } }] });
    const { w, statuses, pod } = worker(
      {
        restartPolicy: 'Never',
        volumes: [{ name: 'out', hostPath: { path: dir } }],
        containers: [
          {
            name: 'main',
            image: 'example.com/standin:1',
            command: ['sh', '-c', `sh ${inImage}/serve.sh; cat ${inImage}/shadowed; ls ${inImage}-data >/dev/null && echo "volume beside it"; touch ${inImage}/new 2>/dev/null && echo writable || echo read-only`],
            volumeMounts: [{ name: 'out', mountPath: `${inImage}-data` }],
          },
        ],
      },
      images,
    );
    await w.start();
    const log = readFileSync(containerLogFile(kubeletDirs(dir), pod, 'main', 0), 'utf8');
    expect(last(statuses).phase).toBe('Succeeded');
    expect(log).toBe(`image file ran with PATH=/opt/standin/bin:${process.env['PATH'] ?? '/usr/bin:/bin'}\nfrom the image\nvolume beside it\nread-only\n`);
    expect(existsSync(join(files, 'new'))).toBe(false);
  });

  it('runs init containers in order before the main container, keeps a native sidecar running, and succeeds', async () => {
    const out = join(dir, 'order');
    const { w, statuses } = worker({
      restartPolicy: 'Never',
      volumes: [{ name: 'out', hostPath: { path: dir } }],
      initContainers: [
        { name: 'first', image: 'busybox', command: ['sh', '-c', 'echo first >> /out/order'], volumeMounts: [{ name: 'out', mountPath: '/out'}] },
        { name: 'side', image: 'busybox', restartPolicy: 'Always', command: ['sh', '-c', 'echo side >> /out/order; exec sleep 60'], volumeMounts: [{ name: 'out', mountPath: '/out'}] },
        { name: 'second', image: 'busybox', command: ['sh', '-c', 'sleep 0.2; echo second >> /out/order'], volumeMounts: [{ name: 'out', mountPath: '/out'}] },
      ],
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo main >> /out/order'], volumeMounts: [{ name: 'out', mountPath: '/out'}] }],
    });
    await w.start();
    await w.terminate(1000);
    expect(readFileSync(out, 'utf8')).toBe('first\nside\nsecond\nmain\n');
    const s = last(statuses);
    expect(s.phase).toBe('Succeeded');
    expect(s.conditions.find((c) => c.type === 'Initialized')?.status).toBe('True');
    expect(s.initContainerStatuses?.map((c) => [c.name, Object.keys(c.state)[0]])).toEqual([
      ['first', 'terminated'],
      ['side', 'terminated'],
      ['second', 'terminated'],
    ]);
    expect(s.containerStatuses[0]?.state['terminated']).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('fails the pod when an init container fails under restartPolicy Never; the main container never starts', async () => {
    const { w, statuses } = worker({
      restartPolicy: 'Never',
      initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'echo "no GPU"; exit 4'], terminationMessagePolicy: 'FallbackToLogsOnError' }],
      containers: [{ name: 'main', image: 'busybox', command: ['true'] }],
    });
    await w.start();
    const s = last(statuses);
    expect(s.phase).toBe('Failed');
    expect(s.initContainerStatuses?.[0]?.state['terminated']).toMatchObject({ exitCode: 4, reason: 'Error', message: 'no GPU' });
    expect(s.containerStatuses[0]?.state['waiting']).toBeDefined();
    expect(s.conditions.find((c) => c.type === 'Initialized')?.status).toBe('False');
  });

  it('restarts OnFailure with a growing back-off until the container succeeds, logging each run to its own file', async () => {
    const marker = join(dir, 'runs');
    const { w, statuses, pod } = worker({
      restartPolicy: 'OnFailure',
      volumes: [{ name: 'state', hostPath: { path: dir } }],
      containers: [
        {
          name: 'main',
          image: 'busybox',
          command: ['sh', '-c', 'echo x >> /state/runs; n=$(wc -l < /state/runs); echo "run $n"; test "$n" -ge 3'],
          volumeMounts: [{ name: 'state', mountPath: '/state'}],
        },
      ],
    });
    await w.start();
    expect(readFileSync(marker, 'utf8')).toBe('x\nx\nx\n');
    const s = last(statuses);
    expect(s.phase).toBe('Succeeded');
    expect(s.containerStatuses[0]?.restartCount).toBe(2);
    const backoffs = statuses.map((x) => x.containerStatuses[0]?.state['waiting']?.['message']).filter((m): m is string => typeof m === 'string' && m.startsWith('back-off'));
    expect(backoffs.map((m) => m.split(' ')[1])).toEqual(['100ms', '200ms']);
    for (const [i, text] of [[0, 'run 1\n'], [1, 'run 2\n'], [2, 'run 3\n']] as const) {
      expect(readFileSync(containerLogFile(kubeletDirs(dir), pod, 'main', i), 'utf8')).toBe(text);
    }
  });

  it('kills what a container left running in its process group when it exits, as a runtime ends the container', async () => {
    const { w, statuses } = worker({
      restartPolicy: 'Never',
      volumes: [{ name: 'state', hostPath: { path: dir } }],
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 60 & echo $! > /state/bg; exit 0'], volumeMounts: [{ name: 'state', mountPath: '/state' }] }],
    });
    await w.start();
    expect(last(statuses).phase).toBe('Succeeded');
    const bg = Number(readFileSync(join(dir, 'bg'), 'utf8'));
    // A zombie waiting for its reaper counts as gone.
    const alive = (): boolean => {
      try {
        return readFileSync(`/proc/${bg}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
      } catch {
        return false;
      }
    };
    try {
      const deadline = Date.now() + 5000;
      while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(alive()).toBe(false);
    } finally {
      if (alive()) process.kill(bg, 'SIGKILL');
      await w.terminate(100);
    }
  });

  it('says on the pod why it cannot start when its host port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const { w, statuses } = worker({
        restartPolicy: 'Never',
        containers: [{ name: 'web', image: 'busybox', command: ['true'], ports: [{ containerPort: 1, hostPort: port }] }],
      });
      await w.start();
      const waiting = last(statuses).containerStatuses[0]?.state['waiting'];
      expect(waiting?.['reason']).toBe('ContainerCreating');
      expect(waiting?.['message']).toContain(`hostPort ${port}`);
      await w.terminate(100);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('stops a running pod with SIGTERM, then SIGKILL after the grace period', async () => {
    const { w, statuses, pod } = worker({
      restartPolicy: 'Always',
      containers: [{ name: 'stubborn', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; echo trapped; while true; do sleep 0.1; done'] }],
    });
    void w.start();
    // Signal only once the trap is set (the log says so), or SIGTERM would end it at once.
    const log = (): string => {
      try {
        return readFileSync(containerLogFile(kubeletDirs(dir), pod, 'stubborn', 0), 'utf8');
      } catch {
        return '';
      }
    };
    while (log() !== 'trapped\n') await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await w.terminate(500);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(5000);
    expect(last(statuses).containerStatuses[0]?.state['terminated']).toMatchObject({ exitCode: 137, reason: 'Error' });
  });
});
