/**
 * The manager's HTTP endpoints: `/metrics` (Prometheus text), `/healthz` (liveness) and `/readyz`
 * (readiness), answering as Kubernetes components do: `ok`, or per-check `[+]name ok` /
 * `[-]name failed: reason` lines with status 500.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Resolves (or returns) when healthy; throws/rejects with the reason when not. */
export type Check = () => void | Promise<void>;

export interface EndpointsOptions {
  readonly registry?: Registry;
  readonly healthChecks?: ReadonlyMap<string, Check>;
  readonly readyChecks?: ReadonlyMap<string, Check>;
}

export async function runChecks(checks: ReadonlyMap<string, Check>): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  for (const [name, check] of checks) {
    try {
      await check();
      lines.push(`[+]${name} ok`);
    } catch (err) {
      ok = false;
      lines.push(`[-]${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { ok, lines };
}

export function handler(options: EndpointsOptions): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const answer = (code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'method not allowed\n');
    const checks = url.pathname === '/healthz' ? options.healthChecks : url.pathname === '/readyz' ? options.readyChecks : undefined;
    if (checks !== undefined) {
      void runChecks(checks).then(({ ok, lines }) => {
        const verbose = url.searchParams.has('verbose') || !ok;
        const body = verbose ? `${lines.join('\n')}\n${url.pathname.slice(1)} ${ok ? 'check passed' : 'check failed'}\n` : 'ok';
        answer(ok ? 200 : 500, body);
      });
      return;
    }
    if (url.pathname === '/metrics' && options.registry !== undefined) {
      const registry = options.registry;
      void registry.metrics().then(
        (text) => answer(200, text, registry.contentType),
        (err: unknown) => answer(500, `collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
      return;
    }
    answer(404, 'not found\n');
  };
}

export interface RunningServer {
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

export async function listen(port: number, host: string, options: EndpointsOptions): Promise<RunningServer> {
  const server = http.createServer(handler(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
