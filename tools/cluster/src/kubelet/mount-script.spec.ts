import { mountScript, quote } from './mount-script.js';

describe('mountScript', () => {
  it('mounts parents first, read-only where asked, then execs the program in the working directory', () => {
    const script = mountScript({
      mounts: [
        { source: '/p/volumes/secret', target: '/mnt/config/secret', readOnly: true },
        { source: '/p/volumes/config', target: '/mnt/config', readOnly: false },
      ],
      workingDir: '/work dir',
    });
    const lines = script.split('\n');
    const parent = lines.indexOf(`mount --bind '/p/volumes/config' '/mnt/config'`);
    const child = lines.indexOf(`mount --bind '/p/volumes/secret' '/mnt/config/secret'`);
    expect(parent).toBeGreaterThan(0);
    expect(child).toBeGreaterThan(parent);
    expect(lines).toContain(`mount -o remount,bind,ro '/mnt/config/secret'`);
    expect(lines).not.toContain(`mount -o remount,bind,ro '/mnt/config'`);
    expect(lines.slice(-3)).toEqual([`cd '/work dir'`, 'exec "$@"', '']);
  });

  it('covers the given directories with an empty tmpfs before any bind mount', () => {
    const lines = mountScript({ mounts: [{ source: '/p/push', target: '/root/.docker', readOnly: true }], workingDir: '/', cover: ['/root'] }).split('\n');
    const cover = lines.indexOf(`mount -t tmpfs -o mode=0755 tmpfs '/root'`);
    expect(cover).toBeGreaterThan(0);
    expect(lines.indexOf(`mount --bind '/p/push' '/root/.docker'`)).toBeGreaterThan(cover);
  });

  it('quotes single quotes for the shell', () => {
    expect(quote(`it's`)).toBe(`'it'\\''s'`);
  });
});
