import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolDir } from './paths.js';

/** Pinned versions of the binaries, from tools/cluster/versions.env (shared with build-binaries.sh). */
export interface Versions {
  readonly kube: string;
  readonly etcd: string;
  readonly kwok: string;
  readonly helm: string;
}

/** Parses `KEY=value` lines; `#` comments and blank lines are ignored. */
export function parseVersionsEnv(text: string): Versions {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const get = (key: string): string => {
    const v = values.get(key);
    if (v === undefined || !/^v\d+\.\d+\.\d+/.test(v)) {
      throw new Error(`versions.env: ${key} is missing or not a vX.Y.Z version; fix tools/cluster/versions.env`);
    }
    return v;
  };
  return { kube: get('KUBE_VERSION'), etcd: get('ETCD_VERSION'), kwok: get('KWOK_VERSION'), helm: get('HELM_VERSION') };
}

let cached: Versions | undefined;

export function versions(): Versions {
  cached ??= parseVersionsEnv(readFileSync(join(toolDir(), 'versions.env'), 'utf8'));
  return cached;
}
