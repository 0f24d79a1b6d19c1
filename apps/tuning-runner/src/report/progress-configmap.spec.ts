import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROGRESS_KEY, ProgressConfigMap } from './progress-configmap.js';
import type { Progress } from './report.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly auth: string;
  readonly type: string;
  readonly body: { data: Record<string, string> };
}

/** A stand-in for the API server's ConfigMap PATCH endpoint that records what it got. */
async function apiServer(status = 200): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(text) as Seen['body'] });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{}' : '{"message":"configmaps \\"x\\" is forbidden"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const progress = (phase: Progress['phase'], step?: number): Progress => ({ phase, startedAt: 't0', updatedAt: 't1', ...(step !== undefined ? { training: { step, maxSteps: 100 } } : {}) });

describe('ProgressConfigMap', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sa-'));
    await writeFile(join(dir, 'token'), 'the-token\n');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('merge-patches progress.json of its ConfigMap with the ServiceAccount token', async () => {
    const api = await apiServer();
    const sink = new ProgressConfigMap({ server: api.url, namespace: 'team-a', name: 'ws-tuning-progress', serviceAccountDir: dir });
    sink.push(progress('Downloading'));
    await sink.flush();
    api.server.close();
    expect(api.seen).toEqual([
      {
        method: 'PATCH',
        url: '/api/v1/namespaces/team-a/configmaps/ws-tuning-progress',
        auth: 'Bearer the-token',
        type: 'application/merge-patch+json',
        body: { data: { [PROGRESS_KEY]: JSON.stringify(progress('Downloading')) } },
      },
    ]);
  });

  it('coalesces a burst of training steps into a few writes that end with the latest', async () => {
    const api = await apiServer();
    const sink = new ProgressConfigMap({ server: api.url, namespace: 'ns', name: 'cm', serviceAccountDir: dir, minIntervalMs: 200 });
    sink.push(progress('Training', 0));
    for (let step = 1; step <= 50; step++) sink.push(progress('Training', step));
    await sink.flush();
    api.server.close();
    expect(api.seen.length).toBeLessThanOrEqual(3);
    const last = JSON.parse(api.seen[api.seen.length - 1]?.body.data[PROGRESS_KEY] ?? '{}') as Progress;
    expect(last.training?.step).toBe(50);
  });

  it('reports a refused write through onError and never throws', async () => {
    const api = await apiServer(403);
    const errors: string[] = [];
    const sink = new ProgressConfigMap({ server: api.url, namespace: 'ns', name: 'cm', serviceAccountDir: dir, onError: (e) => errors.push((e as Error).message) });
    sink.push(progress('Failed'));
    await expect(sink.flush()).resolves.toBeUndefined();
    api.server.close();
    expect(errors).toEqual([expect.stringContaining('PATCH configmap ns/cm: HTTP 403')]);
  });
});
