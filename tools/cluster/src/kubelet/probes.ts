/**
 * One probe attempt against a local container process: `exec` runs the command inside the
 * container's mount namespace (nsenter; joining its user namespace too when not root), `httpGet`
 * and `tcpSocket` go to 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { V1Probe } from '@kubernetes/client-node';
import { isolationFor, nsenterOptions } from './namespaces.js';
import type { Container } from './types.js';

export interface ProbeTarget {
  readonly pid: number;
  readonly env: Readonly<Record<string, string>>;
  readonly container: Container;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly message: string;
}

function portOf(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = container.ports?.find((cp) => cp.name === port);
  if (p === undefined) throw new Error(`probe port "${port}" names no port of container ${container.name}`);
  return p.containerPort;
}

export async function probeOnce(probe: V1Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.exec !== undefined) {
      const cmd = probe.exec.command ?? [];
      return await new Promise((resolve) => {
        execFile('nsenter', [...nsenterOptions(isolationFor()), '--target', String(target.pid), '--', ...cmd], { env: { ...target.env }, timeout: timeoutMs }, (err, stdout, stderr) => {
          resolve({ ok: err === null, message: `${stdout}${stderr}`.trim().slice(0, 1024) || (err?.message ?? '') });
        });
      });
    }
    if (probe.httpGet !== undefined) {
      const g = probe.httpGet;
      const port = portOf(g.port, target.container);
      const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
      return await new Promise((resolve) => {
        const req = request({ host: g.host ?? '127.0.0.1', port, path: g.path ?? '/', method: 'GET', headers, timeout: timeoutMs }, (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve({ ok: code >= 200 && code < 400, message: `HTTP probe failed with statuscode: ${code}` });
        });
        req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
        req.on('error', (err) => resolve({ ok: false, message: `Get "http://127.0.0.1:${port}${g.path ?? '/'}": ${err.message}` }));
        req.end();
      });
    }
    if (probe.tcpSocket !== undefined) {
      const port = portOf(probe.tcpSocket.port, target.container);
      return await new Promise((resolve) => {
        const s = connect({ host: probe.tcpSocket?.host ?? '127.0.0.1', port, timeout: timeoutMs });
        s.once('connect', () => {
          s.destroy();
          resolve({ ok: true, message: '' });
        });
        s.once('timeout', () => {
          s.destroy();
          resolve({ ok: false, message: `dial tcp 127.0.0.1:${port}: timeout` });
        });
        s.once('error', (err) => resolve({ ok: false, message: `dial tcp 127.0.0.1:${port}: ${err.message}` }));
      });
    }
    return { ok: false, message: 'probe has no exec, httpGet or tcpSocket handler (grpc is not emulated)' };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
