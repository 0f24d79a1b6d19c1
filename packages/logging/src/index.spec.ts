import { Writable } from 'node:stream';
import { createLogger, REDACTED, redact, scrub } from './index.js';

function capture(format: 'json' | 'pretty') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ format, stream, level: 'debug' }), lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, message, timestamp and fields', () => {
    const { logger, lines } = capture('json');
    logger.child({ controller: 'workspace', namespace: 'ns', name: 'ws', reconcileID: 'r1' }).info('created nodeclaim', { nodeClaim: 'nc-1' });
    expect(JSON.parse(lines[0] ?? '{}')).toEqual({
      level: 'info',
      message: 'created nodeclaim',
      controller: 'workspace',
      namespace: 'ns',
      name: 'ws',
      reconcileID: 'r1',
      nodeClaim: 'nc-1',
      timestamp: expect.any(String),
    });
  });

  it('never writes values under secret-looking keys', () => {
    const { logger, lines } = capture('json');
    logger.info('configured', { hfToken: 'hf_abc', registry: { password: 'p', server: 'r.io' } });
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect([line['hfToken'], line['registry']]).toEqual([REDACTED, { password: REDACTED, server: 'r.io' }]);
  });

  it('logs an error value as its name, message and code', () => {
    const err = Object.assign(new Error('quota exceeded'), { code: 'QuotaExceeded' });
    expect(redact(err)).toEqual({ name: 'Error', message: 'quota exceeded', code: 'QuotaExceeded' });
  });

  it('writes a readable line in pretty mode', () => {
    const { logger, lines } = capture('pretty');
    logger.warn('watch failed, retrying', { retryInMs: 800 });
    expect(lines[0]).toMatch(/warn.*watch failed, retrying \{"retryInMs":800\}/);
  });

  it('drops lines below the level', () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) });
    createLogger({ format: 'json', stream, level: 'info' }).debug('noise');
    expect(lines).toEqual([]);
  });
});

describe('scrub', () => {
  it('replaces Basic and Bearer credentials inside free text', () => {
    expect(scrub('401 from registry: Authorization: Basic dXNlcjpwYXNzd29yZA== rejected; Bearer eyJhbGciOiJSUzI1NiJ9.abc.def')).toBe(
      `401 from registry: Authorization: Basic ${REDACTED} rejected; Bearer ${REDACTED}`,
    );
  });

  it('leaves ordinary words after Basic and Bearer alone', () => {
    expect(scrub('Basic auth failed; Bearer flow next')).toBe('Basic auth failed; Bearer flow next');
  });

  it('is applied to log messages and nested string fields', () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    createLogger({ format: 'json', stream }).error('push failed: Bearer abcdefghijklmnop', { detail: { header: 'Basic c2VjcmV0OnNlY3JldA==' } });
    expect(lines.join('')).not.toMatch(/abcdefghijklmnop|c2VjcmV0OnNlY3JldA==/);
  });
});


describe('redaction edge cases', () => {
  function jsonLines(level = 'debug') {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    return { logger: createLogger({ format: 'json', stream, level }), text: () => lines.join('\n'), lines };
  }

  it('redacts a secret key nested deeper than the depth limit', () => {
    const { logger, text } = jsonLines();
    logger.info('deep', { a: { b: { c: { d: { e: { f: { g: { h: { password: 'deep-secret' } } } } } } } } });
    expect(text()).not.toContain('deep-secret');
  });

  it('redacts what an object with toJSON would serialize to', () => {
    const { logger, text } = jsonLines();
    const creds = { user: 'u', toJSON: () => ({ user: 'u', password: 'tojson-secret' }) };
    logger.info('login', { creds });
    expect(text()).not.toContain('tojson-secret');
  });

  it('redacts a single object logged without a message field', () => {
    const { logger, text } = jsonLines();
    logger.info({ token: 'lone-token-secret' } as unknown as string);
    expect(text()).not.toContain('lone-token-secret');
  });

  it('does not change the object the caller logged', () => {
    const { logger } = jsonLines();
    const entry = { message: 'configured', password: 'p' };
    logger.info(entry);
    expect(entry.password).toBe('p');
  });

  it('keeps the message of an error logged on its own', () => {
    const { logger, lines } = jsonLines();
    logger.error(new Error('disk full') as unknown as string);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 'error', message: 'disk full' });
  });

  it('writes a cyclic object in pretty mode instead of throwing', () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) });
    const node: Record<string, unknown> = { name: 'n' };
    node['self'] = node;
    createLogger({ format: 'pretty', stream }).info('cycle', { node, n: 10n });
    expect(lines.join('')).toMatch(/cycle \{"node":\{"name":"n","self":"\[Circular\]"\},"n":"10"\}/);
  });

  it('visits a bounded number of values in a wide graph of shared references', () => {
    let reads = 0;
    let level: Record<string, unknown> = { leaf: true };
    for (let d = 0; d < 9; d++) {
      const next = level;
      const wide: Record<string, unknown> = {};
      for (let k = 0; k < 6; k++) Object.defineProperty(wide, `k${k}`, { enumerable: true, get: () => (reads++, next) });
      level = wide;
    }
    redact(level);
    expect(reads).toBeLessThan(100_000);
  });

  it('shows dates as ISO strings and buffers by size', () => {
    expect(redact({ at: new Date(0), data: Buffer.from('password=hunter2') })).toEqual({ at: '1970-01-01T00:00:00.000Z', data: '[16 bytes]' });
  });

  it('accepts levels as environment variables spell them', () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) });
    createLogger({ format: 'json', stream, level: ' INFO ' }).error('boom');
    expect(lines).toHaveLength(1);
  });

  it('rejects a level winston does not know instead of writing nothing', () => {
    expect(() => createLogger({ level: 'loud' })).toThrow(/log level: expected one of error, warn, info/);
  });
});

describe('scrub: credentials inside text', () => {
  it.each([
    ['lowercase bearer', 'authorization: bearer abcdefghijklmnop', 'abcdefghijklmnop'],
    ['URL userinfo', 'GET https://oauth2:glpat-s3cr3t@gitlab.example.com/x.git failed', 'glpat-s3cr3t'],
    ['SAS sig', 'fetch https://acct.blob.core.windows.net/c/data.jsonl?sv=2022-11-02&sig=AbC%2Fsas123%3D failed', 'AbC%2Fsas123%3D'],
    ['X-Amz-Signature', 'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAX%2F1&X-Amz-Signature=deadbeef0123', 'deadbeef0123'],
    ['access_token param', 'redirect to /cb?access_token=tok123456&state=x', 'tok123456'],
    ['docker config auth', '{"auths":{"r.io":{"auth":"dXNlcjpwYXNz","identitytoken":"idtok"}}}', 'dXNlcjpwYXNz'],
    ['registry identity token', '{"auths":{"r.io":{"identitytoken":"idtok-123"}}}', 'idtok-123'],
    ['HF token', 'login with hf_AbCdEfGhIjKlMnOpQrStUv failed', 'hf_AbCdEfGhIjKlMnOpQrStUv'],
    ['service-account JWT', 'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl rejected', 'eyJzdWIiOiJzeXN0ZW0ifQ'],
  ])('hides %s', (_name, text, secret) => {
    expect(scrub(text)).not.toContain(secret);
  });

  it('keeps ordinary URLs and parameters', () => {
    expect(scrub('GET https://huggingface.co/api/models?limit=5&sort=downloads ok')).toBe('GET https://huggingface.co/api/models?limit=5&sort=downloads ok');
  });

  it('hides a signed URL in an error message logged as a field', () => {
    const err = new Error('download failed: https://u:pw@h.io/d.jsonl?sig=SIGSECRET');
    expect(JSON.stringify(redact({ err }))).not.toMatch(/SIGSECRET|u:pw/);
  });
});
