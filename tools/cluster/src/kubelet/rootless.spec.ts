// The process kubelet's container path as a user without root: the start script in a user
// namespace (unshare options from namespaces.ts, script from mount-script.ts), and mount points
// outside the user's reach. As root (CI), it runs as a throwaway user made here with
// useradd/runuser; as anyone else, as that user.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { mountScript } from './mount-script.js';
import { nsenterOptions, unshareOptions } from './namespaces.js';

const isRoot = process.getuid?.() === 0;
const USER = 'kaitotskubelet';
// A folder the throwaway user can read (CI's clone may sit under /root, mode 700).
const root = mkdtempSync(join(tmpdir(), 'kaito-ts-rootless-'));
chmodSync(root, 0o755);
let uid = process.getuid?.() ?? -1;

function asUser(argv: string[], env: Record<string, string> = {}) {
  const full = isRoot ? ['runuser', '-u', USER, '--', 'env', `PATH=${process.env['PATH'] ?? ''}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv] : argv;
  const r = spawnSync(full[0]!, full.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

/** A folder the user owns, as the kubelet's own directories are. */
function userDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  if (isRoot) chownSync(dir, uid, uid);
  return dir;
}

beforeAll(() => {
  if (!isRoot) return;
  if (spawnSync('id', [USER]).status !== 0) spawnSync('useradd', ['--no-create-home', '--shell', '/bin/bash', USER], { stdio: 'ignore' });
  uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
});
afterAll(() => {
  if (isRoot) rmSync(`/etc/sudoers.d/${USER}`, { force: true });
  rmSync(root, { recursive: true, force: true });
});

describe('the process kubelet without root', () => {
  // namespaces.ts needs only Node's own modules, so it runs as the user from one transpiled file.
  const transpiled = (): string => {
    const file = join(root, 'namespaces.cjs');
    const source = readFileSync(join(__dirname, 'namespaces.ts'), 'utf8');
    writeFileSync(file, ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText);
    return file;
  };
  const ensure = (lib: string, target: string) =>
    asUser([
      process.execPath,
      '-e',
      `const n = require(${JSON.stringify(lib)}); const i = n.isolationFor(); console.log(i); try { n.ensureMountPoints([{ source: ${JSON.stringify(lib)}, target: ${JSON.stringify(target)}, readOnly: false }], i); console.log('created'); } catch (e) { console.log(e.code + ': ' + e.message); }`,
    ]);

  it('starts a container in a user namespace: bind mounts (one read-only), working dir, exec, all invisible outside', () => {
    expect(uid).not.toBe(0);
    const data = userDir('data');
    writeFileSync(join(data, 'f'), 'hello\n');
    const out = userDir('out');
    const mnt = userDir('mnt'); // the targets below do not exist yet: start.sh creates them
    const script = join(root, 'start.sh');
    writeFileSync(
      script,
      mountScript({
        mounts: [
          { source: data, target: join(mnt, 'data'), readOnly: true },
          { source: out, target: join(mnt, 'out'), readOnly: false },
        ],
        workingDir: join(mnt, 'out'),
      }),
    );
    chmodSync(script, 0o644);
    const cmd = 'cat ../data/f > result; (touch ../data/x 2>/dev/null && echo rw || echo ro) >> result; id -u >> result';
    const r = asUser(['unshare', ...unshareOptions('user-namespace'), '--', '/bin/sh', script, 'sh', '-c', cmd]);
    expect(r).toEqual({ status: 0, out: '' });
    // Root in its namespace, the user outside it: what it writes belongs to the user.
    expect(readFileSync(join(out, 'result'), 'utf8')).toBe('hello\nro\n0\n');
    expect(statSync(join(out, 'result')).uid).toBe(uid);
    expect(existsSync(join(data, 'x'))).toBe(false);
    // The mounts lived in the container's namespace only.
    expect(readdirSync(join(mnt, 'data'))).toEqual([]);
  });

  it("joins a running container's namespaces for an exec probe, as the kubelet does", () => {
    const data = userDir('probe-data');
    writeFileSync(join(data, 'f'), 'seen from inside\n');
    const mnt = userDir('probe-mnt');
    const script = join(root, 'probe-start.sh');
    writeFileSync(script, mountScript({ mounts: [{ source: data, target: join(mnt, 'data'), readOnly: true }], workingDir: '/' }));
    const start = ['unshare', ...unshareOptions('user-namespace'), '--', '/bin/sh', script, 'sleep', '30'].join(' ');
    const probe = ['nsenter', ...nsenterOptions('user-namespace'), '--target', '"$pid"', '--', 'cat', join(mnt, 'data', 'f')].join(' ');
    const r = asUser(['sh', '-c', `${start} & pid=$!; sleep 1; ${probe}; rc=$?; kill $pid; exit $rc`]);
    expect(r).toEqual({ status: 0, out: 'seen from inside' });
  });

  it('mounts beneath a directory the user may not enter (as /root) over an empty tmpfs, leaving the real one alone', () => {
    const locked = join(root, 'locked');
    mkdirSync(locked, { mode: 0o700 });
    writeFileSync(join(locked, 'secret'), 'not yours\n');
    if (!isRoot) chmodSync(locked, 0o000); // as root (CI) the throwaway user cannot enter root's 0700 folder
    const lib = transpiled();
    const target = join(locked, '.docker', 'config');
    const found = asUser([process.execPath, '-e', `console.log(JSON.stringify(require(${JSON.stringify(lib)}).unreachableDirs([${JSON.stringify(target)}], 'user-namespace')))`]);
    expect(found).toEqual({ status: 0, out: JSON.stringify([locked]) });
    const data = userDir('push');
    writeFileSync(join(data, 'config.json'), '{}\n');
    const script = join(root, 'cover-start.sh');
    writeFileSync(script, mountScript({ mounts: [{ source: data, target, readOnly: true }], workingDir: '/', cover: [locked] }));
    const r = asUser(['unshare', ...unshareOptions('user-namespace'), '--', '/bin/sh', script, 'sh', '-c', `cat ${target}/config.json; ls -A ${locked}`]);
    expect(r).toEqual({ status: 0, out: '{}\n.docker' });
    if (!isRoot) chmodSync(locked, 0o700);
    expect(readdirSync(locked)).toEqual(['secret']);
  });

  it('a mount point the user may not create: one line naming the command without sudo, created through sudo -n with it', () => {
    const lib = transpiled();
    const dir = `/opt/kaito-ts-rootless-spec-${process.pid}`;
    const target = join(dir, 'termination-log');
    const hasSudo = isRoot || spawnSync('sudo', ['-n', 'true']).status === 0;
    try {
      if (isRoot) rmSync(`/etc/sudoers.d/${USER}`, { force: true });
      if (isRoot || !hasSudo) {
        const r = ensure(lib, target);
        expect(r.out.split('\n')).toEqual([
          'user-namespace',
          expect.stringMatching(new RegExp(`^MountPointError: mount point ${target} does not exist and this user may not create it \\(sudo -n: .+\\): create it once \\(sudo touch ${target}\\), or give this user passwordless sudo$`)),
        ]);
        expect(existsSync(target)).toBe(false);
      }
      if (isRoot) writeFileSync(`/etc/sudoers.d/${USER}`, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
      if (hasSudo) {
        expect(ensure(lib, target).out.split('\n')).toEqual(['user-namespace', 'created']);
        expect(statSync(target).isFile()).toBe(true);
      }
    } finally {
      if (isRoot) rmSync(dir, { recursive: true, force: true });
      else spawnSync('sudo', ['-n', 'rm', '-rf', dir]);
    }
  });
});
