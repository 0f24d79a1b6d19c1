import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './index.js';

// The set-up path as a newcomer meets it. As root (CI), the user paths run as a throwaway user
// made here with `useradd`/`runuser`; as anyone else, the no-sudo path runs as that user.
const repo = repoRoot();
// The throwaway user may not be able to reach the clone (CI's may sit under /root, mode 700), so
// the set-up scripts it runs are copied, as they are, into a folder any user can read.
const root = mkdtempSync(join(tmpdir(), 'kaito-ts-setup-'));
chmodSync(root, 0o755);
for (const path of ['package.json', 'tools/setup', 'tools/test/run-all.sh']) cpSync(join(repo, path), join(root, path), { recursive: true });
const PLANTED = 'kaito-ts-planted-missing-package';
const isRoot = process.getuid?.() === 0;
const USER = 'kaitotsnewcomer';

function run(argv: string[], env: Record<string, string> = {}) {
  const started = Date.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim(), ms: Date.now() - started };
}
const asUser = (cmd: string, env: Record<string, string> = {}) =>
  isRoot
    ? run(['runuser', '-u', USER, '--', 'env', `HOME=/tmp/${USER}-home`, `PATH=${process.env['PATH'] ?? ''}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'bash', '-c', cmd])
    : run(['bash', '-c', cmd], env);

/** Listening TCP sockets on every interface (0.0.0.0, [::], *): what the docker-registry service would add. */
function wildcardListeners(): string[] {
  const out = execFileSync('ss', ['-ltnH'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3] ?? '')
    .filter((addr) => /^(0\.0\.0\.0|\[::\]|\*):\d+$/.test(addr))
    .sort();
}

beforeAll(() => {
  if (!isRoot) return;
  if (spawnSync('id', [USER]).status !== 0) execFileSync('useradd', ['--no-create-home', '--shell', '/bin/bash', USER]);
});
afterAll(() => {
  if (isRoot) rmSync(`/etc/sudoers.d/${USER}`, { force: true });
  rmSync(root, { recursive: true, force: true });
});

describe('set-up for a newcomer', () => {
  it('npm test as a user without root stops at once with one line naming the set-up command when system packages are missing', () => {
    const r = asUser('bash tools/test/run-all.sh', { KAITO_TS_SYSTEM_PACKAGES_EXTRA: PLANTED });
    expect(r.status).toBe(2);
    expect(r.out.split('\n')).toEqual([expect.stringContaining(`missing system packages (${PLANTED}): run 'npm run setup:system'`)]);
    expect(r.ms).toBeLessThan(30_000); // stops before installing or building anything
  });

  if (!isRoot) return;

  it('setup:system as a user with passwordless sudo installs through sudo and says what it will install', () => {
    if (!existsSync('/usr/bin/sudo')) {
      execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-qq', '--no-install-recommends', 'sudo'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'ignore' });
    }
    writeFileSync(`/etc/sudoers.d/${USER}`, `${USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    const dry = asUser('npm run --silent setup:system -- --dry-run', { KAITO_TS_SYSTEM_PACKAGES_EXTRA: PLANTED });
    expect(dry.out).toContain(`would run: sudo apt-get install -y --no-install-recommends ${PLANTED}`);
    expect(dry.status).toBe(0);
    const real = asUser('npm run --silent setup:system');
    expect(real.out).toContain('all system packages are installed');
    expect(real.status).toBe(0);
  }, 180_000);

  it('setup:system leaves no new listener on any interface and the docker-registry service disabled', () => {
    execFileSync('systemctl', ['enable', 'docker-registry.service'], { stdio: 'ignore' }); // as Debian's postinst leaves it
    const before = wildcardListeners();
    const r = run(['bash', 'tools/setup/system.sh']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('disabled docker-registry.service');
    expect(wildcardListeners()).toEqual(before);
    expect(spawnSync('systemctl', ['is-enabled', 'docker-registry.service'], { encoding: 'utf8' }).stdout.trim()).not.toBe('enabled');
  });
});
