import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { isGone, isNotFound, isTransient } from '../errors.js';
import { Metrics } from '../metrics/metrics.js';
import { FakeClock } from '../testing/fake-clock.js';
import { TokenBucket } from './rate-limiter.js';
import { ContentType, RestClient } from './rest-client.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

/** A real HTTP server standing in for the API server; `handler` answers each request. */
async function withServer(handler: Handler, fn: (kc: KubeConfig, seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[]) => Promise<void>) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'sekret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  try {
    await fn(kc, seen);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const json = (res: http.ServerResponse, code: number, body: unknown) => {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('RestClient', () => {
  it('sends JSON with the kubeconfig credentials and the query, and parses the answer', async () => {
    await withServer(
      (_req, _body, res) => json(res, 200, { kind: 'ConfigMap', metadata: { name: 'a' } }),
      async (kc, seen) => {
        const client = new RestClient(kc);
        const out = await client.request({
          method: 'PATCH',
          path: '/api/v1/namespaces/ns/configmaps/a',
          query: { fieldManager: 'me', force: true },
          body: { data: { x: '1' } },
          contentType: ContentType.Apply,
        });
        expect(out).toEqual({ kind: 'ConfigMap', metadata: { name: 'a' } });
        expect(seen[0]).toMatchObject({
          method: 'PATCH',
          url: '/api/v1/namespaces/ns/configmaps/a?fieldManager=me&force=true',
          body: '{"data":{"x":"1"}}',
          headers: { authorization: 'Bearer sekret-token', 'content-type': 'application/apply-patch+yaml' },
        });
        await client.close();
      },
    );
  });

  it('throws an ApiException carrying the Status for an error answer', async () => {
    await withServer(
      (_req, _body, res) => json(res, 404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'configmaps "a" not found' }),
      async (kc) => {
        const client = new RestClient(kc);
        const err = await client.request({ method: 'GET', path: '/api/v1/namespaces/ns/configmaps/a' }).catch((e: unknown) => e);
        expect(isNotFound(err)).toBe(true);
        await client.close();
      },
    );
  });

  it('counts requests by method and code', async () => {
    await withServer(
      (_req, _body, res) => json(res, 200, {}),
      async (kc) => {
        const metrics = new Metrics({ processMetrics: false });
        const client = new RestClient(kc, { metrics });
        await client.request({ method: 'GET', path: '/api/v1/pods' });
        const values = (await metrics.restRequests.get()).values;
        expect(values).toEqual([expect.objectContaining({ labels: { method: 'GET', code: '200' }, value: 1 })]);
        await client.close();
      },
    );
  });

  it('fails with a transient transport error when nothing listens', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    const err = await new RestClient(kc).request({ method: 'GET', path: '/api/v1/pods' }).catch((e: unknown) => e);
    expect([(err as { code?: string }).code, isTransient(err)]).toEqual(['Transport', true]);
  });

  it('gives up on a watch whose server never starts answering', async () => {
    await withServer(
      () => undefined, // accepts the request, never answers
      async (kc) => {
        const client = new RestClient(kc, { timeoutMs: 50 });
        const err = await client.watch({ method: 'GET', path: '/api/v1/configmaps', idleTimeoutMs: 60_000 }, () => undefined).catch((e: unknown) => e);
        expect([(err as { code?: string }).code, isTransient(err)]).toEqual(['Transport', true]);
        await client.close();
      },
    );
  });

  it('streams watch events line by line until the server ends the watch', async () => {
    await withServer(
      (_req, _body, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODI');
        setTimeout(() => res.end('FIED","object":{"metadata":{"name":"a"}}}\n'), 20);
      },
      async (kc, seen) => {
        const client = new RestClient(kc);
        const events: unknown[] = [];
        await client.watch({ method: 'GET', path: '/api/v1/configmaps', query: { resourceVersion: '5' }, idleTimeoutMs: 5_000 }, (e) => events.push(e));
        expect(events.map((e) => (e as { type: string }).type)).toEqual(['ADDED', 'MODIFIED']);
        expect(seen[0]?.url).toBe('/api/v1/configmaps?resourceVersion=5&watch=true');
        await client.close();
      },
    );
  });

  it('rejects a watch refused with 410 Gone as Gone', async () => {
    await withServer(
      (_req, _body, res) => json(res, 410, { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' }),
      async (kc) => {
        const client = new RestClient(kc);
        const err = await client.watch({ method: 'GET', path: '/api/v1/configmaps', idleTimeoutMs: 5_000 }, () => undefined).catch((e: unknown) => e);
        expect(isGone(err)).toBe(true);
        await client.close();
      },
    );
  });

  it('rejects a watch with a malformed line instead of skipping it', async () => {
    await withServer(
      (_req, _body, res) => {
        res.writeHead(200);
        res.write('not json\n');
      },
      async (kc) => {
        const client = new RestClient(kc);
        await expect(client.watch({ method: 'GET', path: '/api/v1/configmaps', idleTimeoutMs: 5_000 }, () => undefined)).rejects.toThrow(/malformed/);
        await client.close();
      },
    );
  });

  it('gives up on a watch that stays silent past its idle timeout', async () => {
    await withServer(
      (_req, _body, res) => {
        res.writeHead(200);
        res.write('\n');
      },
      async (kc) => {
        const client = new RestClient(kc);
        await expect(client.watch({ method: 'GET', path: '/api/v1/configmaps', idleTimeoutMs: 50 }, () => undefined)).rejects.toThrow(/no data/);
        await client.close();
      },
    );
  });

  it('ends a watch without error when its signal aborts before the server answers', async () => {
    await withServer(
      () => undefined,
      async (kc) => {
        const client = new RestClient(kc);
        const abort = new AbortController();
        const watching = client.watch({ method: 'GET', path: '/api/v1/configmaps', idleTimeoutMs: 5_000, signal: abort.signal }, () => undefined);
        setTimeout(() => abort.abort(), 20);
        await expect(watching).resolves.toBeUndefined();
        await client.close();
      },
    );
  });

  it('ends a watch without error when its signal aborts', async () => {
    await withServer(
      (_req, _body, res) => {
        res.writeHead(200);
        res.write('\n');
      },
      async (kc) => {
        const client = new RestClient(kc);
        const abort = new AbortController();
        const watching = client.watch({ method: 'GET', path: '/api/v1/configmaps', idleTimeoutMs: 5_000, signal: abort.signal }, () => undefined);
        setTimeout(() => abort.abort(), 20);
        await expect(watching).resolves.toBeUndefined();
        await client.close();
      },
    );
  });
});

describe('TokenBucket', () => {
  it('lets a burst through at once', () => {
    const bucket = new TokenBucket(10, 3, new FakeClock());
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
  });

  it('spaces requests beyond the burst at the QPS rate', () => {
    const bucket = new TokenBucket(10, 1, new FakeClock());
    bucket.reserve();
    expect([bucket.reserve(), bucket.reserve()]).toEqual([100, 200]);
  });

  it('refills over time up to the burst', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 2, clock);
    bucket.reserve();
    bucket.reserve();
    clock.advance(10_000);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100]);
  });
});
