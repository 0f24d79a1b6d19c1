/**
 * Phases 5 and 6: check the adapter the trainer wrote, then push it as an OCI image or copy it to
 * the output volume. Neither watches the AbortSignal: once training has finished, a SIGTERM
 * leaves the push the pod's grace period to complete rather than throw the adapter away.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyAdapter } from '../adapter/verify.js';
import { OutputError, messageOf } from '../errors.js';
import { ADAPTER_FILES, pushAdapter } from '../oci/push.js';
import { Phases } from '../reasons.js';
import type { RunConfig } from './config.js';
import type { RunContext } from './context.js';

export async function verify(ctx: RunContext, config: RunConfig): Promise<void> {
  await ctx.progress.update({ phase: Phases.Verifying });
  const summary = await verifyAdapter(config.outputDir, config.training.LoraConfig);
  ctx.log.info('adapter verified', { ...summary });
}

export interface Shipped {
  readonly message: string;
  readonly image?: string;
  readonly digest?: string;
}

export async function ship(ctx: RunContext, config: RunConfig): Promise<Shipped> {
  const { settings: s, log, progress } = ctx;
  if (s.outputImage !== undefined) {
    await progress.update({ phase: Phases.Pushing, image: s.outputImage });
    const pushed = await pushAdapter(config.outputDir, {
      image: s.outputImage,
      ...(s.preset !== undefined ? { modelName: s.preset } : {}),
      dockerConfigDir: s.dockerConfig,
      insecureRegistries: s.insecureRegistries,
      workDir: s.workDir,
      log,
      ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    });
    return { message: `adapter pushed to ${pushed.image}@${pushed.digest}`, image: pushed.image, digest: pushed.digest };
  }
  // Settings guarantee exactly one of the image and the volume.
  const dest = s.outputVolume as string;
  await progress.update({ phase: Phases.Copying });
  try {
    await mkdir(dest, { recursive: true });
    for (const f of ADAPTER_FILES) await copyFile(join(config.outputDir, f), join(dest, f));
  } catch (err) {
    throw new OutputError(`cannot copy the adapter to ${dest}: ${messageOf(err)}`, { cause: err });
  }
  return { message: `adapter copied to ${dest}` };
}
