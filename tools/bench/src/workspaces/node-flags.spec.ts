import { resolve } from 'node:path';
import { controllerNodeFlags, EntrypointError, entrypointNodeFlags } from './node-flags.js';

describe('entrypointNodeFlags', () => {
  it('returns the flags between node and the script of the last ENTRYPOINT', () => {
    const dockerfile = 'FROM node\nENTRYPOINT ["node", "/old.js"]\nENTRYPOINT ["node", "--max-semi-space-size=2", "--stack-size=900", "/app/main.js"]\n';
    expect(entrypointNodeFlags(dockerfile)).toEqual(['--max-semi-space-size=2', '--stack-size=900']);
  });

  it('returns no flags for a bare node ENTRYPOINT', () => {
    expect(entrypointNodeFlags('ENTRYPOINT ["node", "/app/main.js"]')).toEqual([]);
  });

  it.each([
    ['no ENTRYPOINT', 'FROM node\nCMD ["node", "x.js"]', /no ENTRYPOINT/],
    ['shell form', 'ENTRYPOINT node /app/main.js', /exec form/],
    ['another program', 'ENTRYPOINT ["/bin/sh", "-c", "node x.js"]', /must run node/],
  ])('refuses %s', (_name, dockerfile, message) => {
    expect(() => entrypointNodeFlags(dockerfile)).toThrow(EntrypointError);
    expect(() => entrypointNodeFlags(dockerfile)).toThrow(message);
  });

  it('reads the workspace controller image, which bounds the young generation', () => {
    expect(controllerNodeFlags(resolve(__dirname, '..', '..', '..', '..'))).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-semi-space-size=\d+$/)]));
  });
});
