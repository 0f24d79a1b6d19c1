import { mainExitCode, type MainSpec } from './main.js';
import { SettingsError } from './settings.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}
const spec = (over: Partial<MainSpec<string>> = {}): MainSpec<string> => ({
  name: 'demo',
  usage: 'usage: demo [--x]',
  parse: (argv) => (argv.includes('--help') ? 'help' : 'ok'),
  start: async () => ({ done: Promise.resolve() }),
  ...over,
});

describe('mainExitCode', () => {
  it('exits 2 with one line naming the process on a bad setting, starting nothing', async () => {
    const c = capture();
    const start = jest.fn();
    const code = await mainExitCode(spec({ parse: () => { throw new SettingsError('invalid setting --x: expected a number, got "a"'); }, start }), [], c.io);
    expect(code).toBe(2);
    expect(c.err).toEqual(['demo: invalid setting --x: expected a number, got "a"\n']);
    expect(start).not.toHaveBeenCalled();
  });

  it('prints the usage and exits 0 on --help', async () => {
    const c = capture();
    expect(await mainExitCode(spec(), ['--help'], c.io)).toBe(0);
    expect(c.out).toEqual(['usage: demo [--x]\n']);
  });

  it('exits 0 once the started process is done', async () => {
    const c = capture();
    let stopped = false;
    const code = await mainExitCode(spec({ start: async () => ({ done: new Promise<void>((r) => setTimeout(() => { stopped = true; r(); }, 10)) }) }), [], c.io);
    expect(code).toBe(0);
    expect(stopped).toBe(true);
  });

  it('exits 1 with one line when start-up fails', async () => {
    const c = capture();
    expect(await mainExitCode(spec({ start: () => Promise.reject(new Error('CRD nodeclaims.karpenter.sh is not installed')) }), [], c.io)).toBe(1);
    expect(c.err).toEqual(['demo: CRD nodeclaims.karpenter.sh is not installed\n']);
  });

  it('lets an unexpected parser error through with its stack', async () => {
    await expect(mainExitCode(spec({ parse: () => { throw new TypeError('bug'); } }), [], capture().io)).rejects.toThrow('bug');
  });
});
