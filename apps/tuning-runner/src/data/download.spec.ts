import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DownloadError } from '../errors.js';
import { freePort } from '../testing/processes.js';
import { download, fileNameOf, parseInputUrl, redactUrl } from './download.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let dir: string;
let server: Server;
let base: string;
let handler: Handler;
let requests: IncomingMessage[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tr-download-'));
  requests = [];
  server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const body = Buffer.from('x'.repeat(5000) + 'end');
const sha = createHash('sha256').update(body).digest('hex');
const noSleep = (): Promise<void> => Promise.resolve();
const opts = { maxBytes: 1 << 20, sleep: noSleep };

function serveBody(req: IncomingMessage, res: ServerResponse): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range && req.headers['if-range'] === '"v1"') {
    const start = Number(range[1]);
    res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start, etag: '"v1"' });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': body.length, etag: '"v1"' });
  res.end(body);
}

async function failure(p: Promise<unknown>): Promise<DownloadError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DownloadError);
    return err as DownloadError;
  }
  throw new Error('expected the download to fail');
}

describe('download', () => {
  it('saves the body and reports its sha256', async () => {
    handler = serveBody;
    const result = await download({ url: `${base}/data/train.jsonl` }, join(dir, 'train.jsonl'), opts);
    expect(result).toMatchObject({ bytes: body.length, sha256: sha, attempts: 1, resumed: false });
    expect(await readFile(join(dir, 'train.jsonl'))).toEqual(body);
  });

  it('follows redirects', async () => {
    handler = (req, res) => (req.url === '/old' ? res.writeHead(302, { location: '/new' }).end() : serveBody(req, res));
    await download({ url: `${base}/old` }, join(dir, 'f'), opts);
    expect(requests.map((r) => r.url)).toEqual(['/old', '/new']);
  });

  it('accepts a file whose sha256 matches the URL fragment', async () => {
    handler = serveBody;
    const input = parseInputUrl(`${base}/f.jsonl#sha256=${sha.toUpperCase()}`);
    await expect(download(input, join(dir, 'f'), opts)).resolves.toMatchObject({ sha256: sha });
  });

  it('names the URL and the expected and actual sha256 on a checksum mismatch', async () => {
    handler = serveBody;
    const wrong = '0'.repeat(64);
    const err = await failure(download({ url: `${base}/f.jsonl`, sha256: wrong }, join(dir, 'f'), opts));
    expect(err.message).toBe(`download ${base}/f.jsonl: sha256 mismatch: expected ${wrong}, got ${sha}`);
  });

  it('does not retry a 404 and names the URL and status', async () => {
    handler = (_req, res) => res.writeHead(404).end();
    const err = await failure(download({ url: `${base}/missing.parquet` }, join(dir, 'f'), opts));
    expect(err.message).toBe(`download ${base}/missing.parquet: HTTP 404: Not Found (not retried)`);
    expect(requests).toHaveLength(1);
  });

  it('retries 503 responses and then succeeds', async () => {
    handler = (req, res, n) => (n < 3 ? res.writeHead(503).end() : serveBody(req, res));
    const result = await download({ url: `${base}/f` }, join(dir, 'f'), opts);
    expect(result.attempts).toBe(3);
  });

  it('gives up after the last attempt with the last status', async () => {
    handler = (_req, res) => res.writeHead(502).end();
    const err = await failure(download({ url: `${base}/f` }, join(dir, 'f'), { ...opts, attempts: 3 }));
    expect(err.message).toBe(`download ${base}/f: HTTP 502: Bad Gateway (gave up after 3 attempts)`);
    expect(requests).toHaveLength(3);
  });

  it('resumes with a Range request from the bytes it kept when the body breaks off', async () => {
    // The first response body delivers exactly 2000 bytes and then fails as a dropped
    // connection does; the client cannot lose bytes to socket timing this way.
    handler = (req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': body.length, etag: '"v1"' });
        res.write(body.subarray(0, 2000));
        return;
      }
      serveBody(req, res);
    };
    let calls = 0;
    const breakingFetch: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (++calls > 1 || !res.body) return res;
      const reader = res.body.getReader();
      let delivered = 0;
      const broken = new ReadableStream<Uint8Array>({
        // Pulled again only once the consumer has taken the previous chunk.
        async pull(controller) {
          const { value, done } = delivered < 2000 ? await reader.read() : { value: undefined, done: true };
          if (done || !value) {
            await reader.cancel();
            return controller.error(new TypeError('terminated', { cause: new Error('other side closed') }));
          }
          const take = value.subarray(0, 2000 - delivered);
          delivered += take.length;
          controller.enqueue(take);
        },
      });
      return Object.defineProperty(new Response(broken, { status: res.status, headers: res.headers }), 'url', { value: res.url });
    };
    const result = await download({ url: `${base}/f` }, join(dir, 'f'), { ...opts, fetch: breakingFetch });
    expect(result).toMatchObject({ resumed: true, attempts: 2, sha256: sha });
    expect(requests[1]?.headers.range).toBe('bytes=2000-');
    expect(requests[1]?.headers['if-range']).toBe('"v1"');
    expect(await readFile(join(dir, 'f'))).toEqual(body);
  });

  it('retries and completes when the server drops the socket mid-body', async () => {
    handler = (req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-length': body.length, etag: '"v1"' });
        res.write(body.subarray(0, 2000), () => res.destroy());
        return;
      }
      serveBody(req, res);
    };
    const result = await download({ url: `${base}/f` }, join(dir, 'f'), opts);
    // How many of the 2000 bytes arrive before the reset is up to the sockets; the file is whole.
    expect(result).toMatchObject({ attempts: 2, sha256: sha, bytes: body.length });
    expect(await readFile(join(dir, 'f'))).toEqual(body);
  });

  it('starts over when the server ignores the Range header', async () => {
    handler = (_req, res, n) => {
      res.writeHead(200, { 'content-length': body.length, etag: '"v1"' });
      if (n === 1) res.write(body.subarray(0, 1000), () => res.destroy());
      else res.end(body);
    };
    const result = await download({ url: `${base}/f` }, join(dir, 'f'), opts);
    expect(result.resumed).toBe(false);
    expect(await readFile(join(dir, 'f'))).toEqual(body);
  });

  it('refuses a file whose Content-Length is over the limit without reading it', async () => {
    handler = serveBody;
    const err = await failure(download({ url: `${base}/big` }, join(dir, 'f'), { ...opts, maxBytes: 1024 }));
    expect(err.message).toBe(`download ${base}/big: HTTP 200: the file is 4.9 KiB, over the limit of 1 KiB`);
  });

  it('stops a body without Content-Length once it passes the limit', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end(body);
    };
    const err = await failure(download({ url: `${base}/stream` }, join(dir, 'f'), { ...opts, maxBytes: 1024 }));
    expect(err.message).toBe(`download ${base}/stream: HTTP 200: the download passed the limit of 1 KiB`);
    await expect(stat(join(dir, 'f.part'))).rejects.toThrow('ENOENT');
  });

  it('rejects an empty body', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-length': 0 }).end();
    const err = await failure(download({ url: `${base}/empty` }, join(dir, 'f'), opts));
    expect(err.message).toBe(`download ${base}/empty: HTTP 200: the response body is empty`);
  });

  it('stops at once without retrying when the run is terminated', async () => {
    const controller = new AbortController();
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 100), () => controller.abort());
    };
    const err = await failure(download({ url: `${base}/slow` }, join(dir, 'f'), { ...opts, signal: controller.signal }));
    expect(err.message).toMatch(new RegExp(`^download ${base.replace(/[.]/g, '\\.')}/slow: .*the run was terminated$`));
    expect(requests).toHaveLength(1);
  });

  it('sends the userinfo of the URL as Basic credentials, not in the URL', async () => {
    handler = (req, res) => (req.headers.authorization === `Basic ${Buffer.from('user:s3cret').toString('base64')}` ? serveBody(req, res) : res.writeHead(401).end());
    const url = new URL(`${base}/f`);
    url.username = 'user';
    url.password = 's3cret';
    const result = await download({ url: url.toString() }, join(dir, 'f'), opts);
    expect(result.sha256).toBe(sha);
    expect(requests[0]?.url).toBe('/f');
  });

  it('does not send the URL credentials on to another host it is redirected to', async () => {
    const other: IncomingMessage[] = [];
    const elsewhere = createServer((req, res) => {
      other.push(req);
      serveBody(req, res);
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      // Another origin (another port).
      const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/blob`;
      handler = (_req, res) => res.writeHead(302, { location: target }).end();
      const url = new URL(`${base}/f`);
      url.username = 'user';
      url.password = 's3cret';
      await download({ url: url.toString() }, join(dir, 'f'), opts);
      expect(requests[0]?.headers.authorization).toBeDefined();
      expect(other.map((r) => r.headers.authorization)).toEqual([undefined]);
    } finally {
      elsewhere.closeAllConnections();
      await new Promise((r) => elsewhere.close(r));
    }
  });

  it('never shows the password of the URL in an error', async () => {
    handler = (_req, res) => res.writeHead(403).end();
    const url = new URL(`${base}/f?sig=abc`);
    url.username = 'user';
    url.password = 's3cret';
    const err = await failure(download({ url: url.toString() }, join(dir, 'f'), opts));
    expect(err.message).toBe(`download ${base}/f?sig=REDACTED: HTTP 403: Forbidden (not retried)`);
  });

  it('names the URL when nothing listens there', async () => {
    const port = await freePort();
    const err = await failure(download({ url: `http://127.0.0.1:${port}/f` }, join(dir, 'f'), { ...opts, attempts: 2 }));
    expect(err.message).toBe(`download http://127.0.0.1:${port}/f: fetch failed: connect ECONNREFUSED 127.0.0.1:${port} (gave up after 2 attempts)`);
  });
});

describe('input URLs', () => {
  it('hides signature query values and userinfo', () => {
    expect(redactUrl('https://user:pw@acct.blob.core.windows.net/c/d.parquet?sv=2024&sig=abc%2Bdef&se=x')).toBe(
      'https://acct.blob.core.windows.net/c/d.parquet?sv=2024&sig=REDACTED&se=x',
    );
  });

  it('names the file after the last path segment without the query', () => {
    expect(fileNameOf('https://huggingface.co/datasets/x/resolve/main/data/train-00000-of-00001.parquet?download=true')).toBe('train-00000-of-00001.parquet');
  });

  it('keeps an encoded slash in the last segment from leaving the downloads directory', () => {
    expect(fileNameOf('https://h/d/a%2F..%2F..%2Fetc%2Ftrain.jsonl')).toBe('a_.._.._etc_train.jsonl');
  });

  it('rejects a fragment other than sha256', () => {
    expect(() => parseInputUrl('https://h/f.csv#md5=abc')).toThrow('unsupported URL fragment "#md5=abc": only #sha256=<64 hex digits> is understood');
  });
});
