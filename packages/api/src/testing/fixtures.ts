import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

/** A Workspace fixture: an object (and, for updates, the object it replaces) with the expected verdict. */
export interface WorkspaceFixture {
  file: string;
  description: string;
  valid: boolean;
  /** Which CRD layer rejects it: the OpenAPI schema or a CEL rule. */
  layer?: 'schema' | 'cel';
  /** A substring of the io-ts codec's message. */
  codecError?: string;
  /** A substring of the API server's (and the schema validator's) message. */
  serverError?: string;
  old?: Record<string, unknown>;
  object: Record<string, unknown>;
}

const RELATIVE = join('packages', 'api', 'fixtures', 'workspaces');

/** Finds the fixture folder from the current directory upwards (works from any project under jest). */
export function workspaceFixturesDir(start = process.cwd()): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${RELATIVE} above ${start}`);
  }
}

export function loadWorkspaceFixtures(dir = workspaceFixturesDir()): WorkspaceFixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, ...(parse(readFileSync(join(dir, file), 'utf8')) as Omit<WorkspaceFixture, 'file'>) }));
}
