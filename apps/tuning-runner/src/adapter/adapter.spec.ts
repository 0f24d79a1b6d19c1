import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdapterError } from '../errors.js';
import { writeAdapter } from '../testing/fixtures.js';
import { encodeSafetensors, readSafetensorsHeader } from './safetensors.js';
import { verifyAdapter } from './verify.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tr-adapter-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function adapterError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AdapterError);
    return (err as Error).message;
  }
  throw new Error('expected an AdapterError');
}

/** A safetensors file with a hand-written header (8-byte length + JSON + data). */
function raw(header: object, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

describe('readSafetensorsHeader', () => {
  it('reads tensor names, dtypes, shapes and metadata', async () => {
    const path = join(dir, 'm.safetensors');
    await writeFile(path, encodeSafetensors({ a: { dtype: 'F32', shape: [2, 3] }, b: { dtype: 'BF16', shape: [4] } }));
    const header = await readSafetensorsHeader(path, 'm.safetensors');
    expect([...header.tensors.entries()]).toEqual([
      ['a', { dtype: 'F32', shape: [2, 3], offsets: [0, 24] }],
      ['b', { dtype: 'BF16', shape: [4], offsets: [24, 32] }],
    ]);
  });

  it('rejects a file shorter than the length prefix', async () => {
    await writeFile(join(dir, 's'), Buffer.alloc(5));
    expect(await adapterError(readSafetensorsHeader(join(dir, 's'), 's'))).toBe('s: not a safetensors file: 5 bytes is shorter than the 8-byte header length');
  });

  it('rejects a header length past the end of the file', async () => {
    const path = join(dir, 'cut');
    await writeFile(path, encodeSafetensors({ a: { dtype: 'F32', shape: [8] } }));
    await truncate(path, 20);
    expect(await adapterError(readSafetensorsHeader(path, 'cut'))).toMatch(/^cut: truncated: the header says \d+ bytes but the file has 12 after the length$/);
  });

  it('rejects tensor data cut short', async () => {
    const path = join(dir, 'short');
    const full = encodeSafetensors({ a: { dtype: 'F32', shape: [8] } });
    await writeFile(path, full.subarray(0, full.length - 4));
    expect(await adapterError(readSafetensorsHeader(path, 'short'))).toBe('short: tensor a: data_offsets end 32 is past the 28 data bytes (truncated file?)');
  });

  it('rejects offsets that do not match shape and dtype', async () => {
    await writeFile(join(dir, 'x'), raw({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }, 8));
    expect(await adapterError(readSafetensorsHeader(join(dir, 'x'), 'x'))).toBe('x: tensor a: F32[2,2] needs 16 bytes but data_offsets span 8');
  });

  it('rejects overlapping tensors', async () => {
    await writeFile(
      join(dir, 'o'),
      raw({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, 6),
    );
    expect(await adapterError(readSafetensorsHeader(join(dir, 'o'), 'o'))).toBe('o: tensor b: starts at 2, expected 4 (overlap or gap)');
  });

  it('rejects an unknown dtype', async () => {
    await writeFile(join(dir, 'd'), raw({ a: { dtype: 'F12', shape: [1], data_offsets: [0, 1] } }, 1));
    expect(await adapterError(readSafetensorsHeader(join(dir, 'd'), 'd'))).toBe('d: tensor a: unknown dtype "F12"');
  });

  it('rejects a header that is not JSON', async () => {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(4n);
    await writeFile(join(dir, 'j'), Buffer.concat([len, Buffer.from('{no}')]));
    expect(await adapterError(readSafetensorsHeader(join(dir, 'j'), 'j'))).toMatch(/^j: the header is not valid JSON: /);
  });
});

describe('verifyAdapter', () => {
  const lora = { r: 8, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] };

  it('summarises a sound LoRA adapter', async () => {
    await writeAdapter(dir, { r: 8, targetModules: ['q_proj', 'v_proj'], layers: 2 });
    expect(await verifyAdapter(dir, lora)).toMatchObject({ tensors: 8, modules: 4, r: 8, targetModules: ['q_proj', 'v_proj'] });
  });

  it('rejects a rank other than the configured one', async () => {
    await writeAdapter(dir, { r: 4, targetModules: ['q_proj', 'v_proj'] });
    expect(await adapterError(verifyAdapter(dir, lora))).toBe('adapter_config.json: r is 4 but LoraConfig.r is 8');
  });

  it('rejects other target modules than configured', async () => {
    await writeAdapter(dir, { targetModules: ['o_proj'] });
    expect(await adapterError(verifyAdapter(dir, lora))).toBe('adapter_config.json: target_modules are o_proj but LoraConfig asks for q_proj, v_proj');
  });

  it('rejects an adapter that is not LoRA', async () => {
    await writeAdapter(dir, { peftType: 'IA3' });
    expect(await adapterError(verifyAdapter(dir, lora))).toBe('adapter_config.json: peft_type: expected "LORA", got "IA3"');
  });

  it('rejects a module with lora_A but no lora_B', async () => {
    await writeAdapter(dir, { omit: 'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight' });
    expect(await adapterError(verifyAdapter(dir, lora))).toBe(
      'adapter_model.safetensors: module base_model.model.model.layers.1.self_attn.v_proj has lora_A but no lora_B',
    );
  });

  it('rejects tensors whose rank dimension disagrees with adapter_config.json', async () => {
    await writeAdapter(dir, { r: 8 });
    const config = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify({ ...config, r: 16 }));
    expect(await adapterError(verifyAdapter(dir, {}))).toBe(
      'adapter_model.safetensors: module base_model.model.model.layers.0.self_attn.q_proj: rank is 8×8 but adapter_config.json says r=16',
    );
  });

  it('reports a missing safetensors file', async () => {
    await writeAdapter(dir);
    await rm(join(dir, 'adapter_model.safetensors'));
    expect(await adapterError(verifyAdapter(dir, lora))).toBe('adapter_model.safetensors: missing');
  });

  it('reports a missing adapter_config.json', async () => {
    expect(await adapterError(verifyAdapter(dir, lora))).toBe('adapter_config.json: missing');
  });
});
