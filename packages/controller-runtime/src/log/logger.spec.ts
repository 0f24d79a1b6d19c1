import { Writable } from 'node:stream';
import { createLogger, REDACTED, redact } from './logger.js';

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
