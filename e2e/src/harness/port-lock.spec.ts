import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockHostPort } from './port-lock.js';

describe('lockHostPort', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'port-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets one holder in at a time; the second gets it once the first releases', async () => {
    const release = await lockHostPort(5000, 5_000, dir);
    let second = false;
    const waiting = lockHostPort(5000, 10_000, dir).then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(second).toBe(false);
    release();
    (await waiting)();
    expect(second).toBe(true);
    expect(existsSync(join(dir, 'kaito-ts-e2e-port-5000.lock'))).toBe(false);
  });

  it('takes over a lock whose owner is gone', async () => {
    mkdirSync(join(dir, 'kaito-ts-e2e-port-5000.lock'));
    writeFileSync(join(dir, 'kaito-ts-e2e-port-5000.lock', 'pid'), '999999999');
    const release = await lockHostPort(5000, 2_000, dir);
    release();
  });

  it('gives up after the timeout, naming the holder', async () => {
    const release = await lockHostPort(5000, 1_000, dir);
    await expect(lockHostPort(5000, 1_000, dir)).rejects.toThrow(`(pid ${process.pid})`);
    release();
  });
});
