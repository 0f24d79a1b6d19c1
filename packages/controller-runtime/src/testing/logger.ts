import { Writable } from 'node:stream';
import { createLogger } from '../log/logger.js';
import type winston from 'winston';

export interface RecordedLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** A real winston JSON logger that keeps its lines in memory for assertions. */
export function recordingLogger(level = 'debug'): { logger: winston.Logger; lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as RecordedLine);
      done();
    },
  });
  return { logger: createLogger({ level, format: 'json', stream }), lines };
}

/** A logger that drops everything. */
export function silentLogger(): winston.Logger {
  return createLogger({
    level: 'error',
    format: 'json',
    stream: new Writable({ write: (_c, _e, done) => done() }),
  }).child({});
}
