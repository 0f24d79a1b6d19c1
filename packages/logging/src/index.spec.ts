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

