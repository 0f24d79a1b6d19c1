/**
 * The progress channel to the workspace controller: each progress snapshot is merged into the
 * ConfigMap the controller created for this run (`PROGRESS_CONFIGMAP`, key `progress.json`), in
 * the pod's own namespace, with the pod's ServiceAccount token. Its Role allows `get` and `patch`
 * of that one ConfigMap and nothing else, so a runner (or whatever runs in its image) can reach
 * no other object. Why a ConfigMap and not the pod's own annotations or logs: the controller
 * already watches it (owned by the Workspace), it needs no exec or log scraping, and RBAC can
 * name it in advance (a Job's pod names cannot be known when the Role is made).
 *
 * Writes are coalesced: at most one PATCH in flight and one per `minIntervalMs`, always with the
 * latest snapshot (a trainer logs many steps a second; the status needs the last one). A failed
 * write is reported through `onError` and never fails the run: the termination message remains.
 *
 * Hand-written on node:https instead of @kubernetes/client-node: one merge-patch request with a
 * bearer token and the cluster CA; the client library would add some 30 MB to the tuning image.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Progress } from './report.js';

export const PROGRESS_KEY = 'progress.json';

export interface ProgressConfigMapOptions {
  /** `https://host:port` of the API server (in a pod: from KUBERNETES_SERVICE_HOST/PORT). */
  readonly server: string;
  readonly namespace: string;
  readonly name: string;
  /** The directory with `token` and `ca.crt` (a pod's ServiceAccount mount). */
  readonly serviceAccountDir: string;
  readonly minIntervalMs?: number;
  readonly onError?: (err: unknown) => void;
}

export class ProgressConfigMap {
  private latest: Progress | undefined;
  private sent: Progress | undefined;
  private running: Promise<void> | undefined;
  private lastSentAt = 0;

  constructor(private readonly o: ProgressConfigMapOptions) {}

  /** Queue `p`; it (or a later snapshot) is written soon. */
  push(p: Progress): void {
    this.latest = p;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once the latest snapshot was written (or failed). */
  async flush(): Promise<void> {
    while (this.running !== undefined) await this.running;
    if (this.latest !== this.sent) {
      this.push(this.latest as Progress);
      await this.running;
    }
  }

  private async drain(): Promise<void> {
    while (this.latest !== undefined && this.latest !== this.sent) {
      const wait = this.lastSentAt + (this.o.minIntervalMs ?? 1000) - Date.now();
      // Phase changes and the final outcome go at once; training steps wait their turn.
      if (wait > 0 && this.latest.phase === this.sent?.phase) await new Promise((r) => setTimeout(r, wait));
      const snapshot = this.latest;
      this.sent = snapshot;
      this.lastSentAt = Date.now();
      try {
        await this.patch(snapshot);
      } catch (err) {
        this.o.onError?.(err);
      }
    }
  }

  private async patch(p: Progress): Promise<void> {
    const dir = this.o.serviceAccountDir;
    // Read each time: projected ServiceAccount tokens are rotated by the kubelet.
    const token = (await readFile(join(dir, 'token'), 'utf8')).trim();
    const url = new URL(`/api/v1/namespaces/${encodeURIComponent(this.o.namespace)}/configmaps/${encodeURIComponent(this.o.name)}`, this.o.server);
    const body = JSON.stringify({ data: { [PROGRESS_KEY]: JSON.stringify(p) } });
    const https = url.protocol === 'https:';
    const ca = https ? await readFile(join(dir, 'ca.crt')).catch(() => undefined) : undefined;
    await new Promise<void>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json', 'content-length': Buffer.byteLength(body) },
          ...(ca !== undefined ? { ca } : {}),
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c.slice(0, 2000)));
          res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`PATCH configmap ${this.o.namespace}/${this.o.name}: HTTP ${res.statusCode ?? '?'}: ${text.slice(0, 300)}`))));
        },
      );
      req.on('timeout', () => req.destroy(new Error('PATCH configmap: timed out after 10 s')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
