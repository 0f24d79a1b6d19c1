/**
 * Phase 2, the inputs: download the URLs (with their checksums) into the work directory, or list
 * the mounted data directory when no URL is given.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { InputFile } from '../data/convert.js';
import { download, fileNameOf, parseInputUrl, redactUrl } from '../data/download.js';
import { DatasetError, messageOf } from '../errors.js';
import { Phases } from '../reasons.js';
import { abortable, type RunContext } from './context.js';

export async function gatherInputs(ctx: RunContext): Promise<InputFile[]> {
  const { settings: s } = ctx;
  if (s.dataUrls === undefined || s.dataUrls.length === 0) {
    const inputs = await listDataDir(s.dataDir);
    if (inputs.length === 0) throw new DatasetError(s.dataDir, undefined, 'no input files: the data directory is empty and no URLs were given');
    return inputs;
  }
  return downloadAll(ctx, s.dataUrls);
}

async function downloadAll(ctx: RunContext, urls: readonly string[]): Promise<InputFile[]> {
  const { settings: s, log, progress } = ctx;
  await progress.update({ phase: Phases.Downloading, downloadedBytes: 0 });
  const dir = join(s.workDir, 'downloads');
  await mkdir(dir, { recursive: true });
  const inputs: InputFile[] = [];
  let total = 0;
  for (const [i, raw] of urls.entries()) {
    const input = parseInputUrl(raw);
    const name = fileNameOf(input.url);
    const dest = join(dir, `${String(i).padStart(3, '0')}-${name}`);
    const result = await abortable(ctx.signal, 'downloading', () =>
      download(input, dest, { maxBytes: s.maxDownloadBytes, log, signal: ctx.signal, ...(ctx.fetch ? { fetch: ctx.fetch } : {}) }),
    );
    total += result.bytes;
    await progress.update({ downloadedBytes: total });
    inputs.push({ path: result.path, name: `${name} (${redactUrl(input.url)})` });
  }
  return inputs;
}

/** Every regular file under `dir`, hidden files and directories left out, in name order. */
async function listDataDir(dir: string): Promise<InputFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    throw new DatasetError(dir, undefined, `cannot read the data directory: ${messageOf(err)}`, { cause: err });
  }
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !relative(dir, join(e.parentPath, e.name)).split('/').some((p) => p.startsWith('.')))
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path, name: relative(dir, path) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
