import { craftParquet, bin, i32, thrift } from '../testing/parquet-craft.js';
import { FooterScanProblem, MAX_SCHEMA_ELEMENTS, MAX_THRIFT_DEPTH, scanFooter } from './footer-prescan.js';
import { MAX_METADATA_OBJECT_BYTES } from './parquet-footer.js';

/** The FileMetaData bytes of a whole parquet file (what readCheckedFooter hands the scan). */
function metadataOf(file: Uint8Array): Uint8Array {
  const b = Buffer.from(file);
  const length = b.readUInt32LE(b.length - 8);
  return b.subarray(b.length - 8 - length, b.length - 8);
}

/** FileMetaData with one field `id` holding a list of `count` one-byte elements of `elemType`. */
function oneByteList(id: number, elemType: number, count: number): Uint8Array {
  const header = count < 15 ? [(count << 4) | elemType] : [0xf0 | elemType, ...varint(count)];
  return Buffer.concat([Buffer.from([(id << 4) | 9, ...header]), Buffer.alloc(count), Buffer.from([0])]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  for (let x = n; ; x = Math.floor(x / 128)) {
    if (x < 128) return [...out, x];
    out.push((x & 0x7f) | 0x80);
  }
}

describe('scanFooter', () => {
  it('counts the schema elements and row groups of a well-formed footer, estimating little memory', () => {
    const scan = scanFooter(metadataOf(craftParquet()));
    expect(scan).toMatchObject({ schemaElements: 2, rowGroups: 1 });
    expect(scan.estimatedBytes).toBeGreaterThan(0);
    expect(scan.estimatedBytes).toBeLessThan(16 * 1024);
  });

  it('refuses 15 million empty schema elements in a 15 MB footer without walking them', () => {
    const started = Date.now();
    expect(() => scanFooter(oneByteList(2, 12, 15_000_000))).toThrow(new FooterScanProblem(`the schema has 15000000 elements, over the ${MAX_SCHEMA_ELEMENTS} limit`));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('estimates one-byte empty structs, binaries and fields at what hyparquet builds from them', () => {
    // 1,000,000 of each measured 215, 120 and 140 bytes of heap apiece in hyparquet 1.31.5.
    expect(scanFooter(oneByteList(4, 12, 1_000_000)).estimatedBytes).toBeGreaterThanOrEqual(215 * 1_000_000);
    expect(scanFooter(oneByteList(5, 8, 1_000_000)).estimatedBytes).toBeGreaterThanOrEqual(120 * 1_000_000);
    const boolFields = Buffer.concat([Buffer.from([0x1c]), Buffer.alloc(1_000_000, 0x11), Buffer.from([0, 0])]);
    expect(scanFooter(boolFields).estimatedBytes).toBeGreaterThanOrEqual(140 * 1_000_000);
    // 15 MB of empty row groups is well over the budget.
    expect(scanFooter(oneByteList(4, 12, 15_000_000)).estimatedBytes).toBeGreaterThan(MAX_METADATA_OBJECT_BYTES);
  });

  it('refuses a list claiming more elements than bytes remain', () => {
    const claims = Buffer.from([0x49, 0xfc, ...varint(1_000_000), 0, 0, 0]);
    expect(() => scanFooter(claims)).toThrow(/^a list at byte 1 claims 1000000 elements but 3 bytes remain$/);
  });

  it('refuses a binary claiming more bytes than remain, and a footer ending inside a struct', () => {
    expect(() => scanFooter(thrift({ 6: bin('created by') }).subarray(0, 5))).toThrow(/^a value at byte 2 claims 10 bytes but 3 remain$/);
    expect(() => scanFooter(thrift({ 1: i32(2) }).subarray(0, 2))).toThrow(/^the footer ends inside its metadata \(at byte 2\)$/);
  });

  it('refuses nesting deeper than the limit without recursing', () => {
    // Field 1 of each struct is a struct, 100,000 deep, then all the stops.
    const nested = Buffer.concat([Buffer.alloc(100_000, 0x1c), Buffer.alloc(100_001, 0)]);
    expect(() => scanFooter(nested)).toThrow(`the metadata is nested more than ${MAX_THRIFT_DEPTH} levels deep`);
  });

  it('refuses Thrift types parquet does not use', () => {
    expect(() => scanFooter(Buffer.from([0x1b, 0x00, 0x00]))).toThrow(/^unknown Thrift type 11 at byte 0$/);
  });
});
