/**
 * The parquet footer, read and checked before any reader sees the file. DuckDB trusts the
 * footer's schema (a schema nested 100,000 deep crashes it with a segfault, which no catch can
 * turn into InvalidDataset), so the shape of everything it will walk is checked here first, in
 * JS, iteratively: the footer's length, the schema tree (element counts, depth, leaf types),
 * and each column chunk's metadata. hyparquet parses the Thrift, after footer-prescan.ts has bounded
 * what that parse may build; this module only judges it.
 */
import { open } from 'node:fs/promises';
import { parquetMetadata, type FileMetaData, type SchemaElement } from 'hyparquet';
import { DatasetError } from '../errors.js';
import { FooterScanProblem, scanFooter } from './footer-prescan.js';
import { MiB, showBytes, type Limits } from './limits.js';

/**
 * The most JS memory hyparquet may build from one footer, as `scanFooter` estimates it. DuckDB then
 * parses the same footer again in C++, outside its memory limit, at about the same cost per column
 * chunk, so this bounds both. Measured: a hyparquet-writer file of 23,000 one-row groups (a 4.5 MiB
 * footer, estimated at 124 MiB) converts with a 438 MiB peak RSS; hostile footers of one-byte items
 * at the budget peak at 180-260 MiB, refused by the checks below. A larger footer could not be read
 * within the 512 MiB cap at all, whatever `maxMetadataBytes` allows.
 */
export const MAX_METADATA_OBJECT_BYTES = 128 * MiB;

/** Deeper than any real dataset schema (dolly's is 4), shallow enough for any reader's recursion. */
export const MAX_SCHEMA_DEPTH = 64;

export interface RowGroupSpan {
  /** 1-based first and last row of the group in the file. */
  readonly first: number;
  readonly last: number;
}

export interface CheckedFooter {
  readonly metadata: FileMetaData;
  readonly groups: readonly RowGroupSpan[];
}

class FooterProblem extends Error {}

export async function readCheckedFooter(path: string, name: string, limits: Limits): Promise<CheckedFooter> {
  const handle = await open(path, 'r');
  let metadata: FileMetaData;
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(8);
    await handle.read(tail, 0, 8, size - 8);
    const length = tail.readUInt32LE(0);
    if (length > size - 12) throw new DatasetError(name, undefined, `unreadable parquet metadata: the footer claims ${length} bytes in a ${size}-byte file`);
    if (length > limits.maxMetadataBytes) {
      throw new DatasetError(name, undefined, `unreadable parquet metadata: the footer is ${showBytes(length)}, over the ${showBytes(limits.maxMetadataBytes)} limit (maxMetadataBytes)`);
    }
    const footer = Buffer.alloc(length + 8);
    await handle.read(footer, 0, length + 8, size - 8 - length);
    prescan(footer.subarray(0, length), name);
    try {
      metadata = parquetMetadata(footer.buffer.slice(footer.byteOffset, footer.byteOffset + footer.length));
    } catch (err) {
      // hyparquet's own errors say what is wrong; a TypeError/RangeError from inside it (a field
      // missing or of the wrong kind) would only show its internals: it stays in `cause`.
      const problem = err instanceof TypeError || err instanceof RangeError ? 'the footer is malformed (a field is missing or of the wrong type)' : err instanceof Error ? err.message : String(err);
      throw new DatasetError(name, undefined, `unreadable parquet metadata: ${problem}`, { cause: err });
    }
  } finally {
    await handle.close();
  }
  try {
    return { metadata, groups: checkMetadata(metadata) };
  } catch (err) {
    if (err instanceof FooterProblem) throw new DatasetError(name, undefined, `invalid parquet metadata: ${err.message}`);
    throw err;
  }
}

/** Refuses, before hyparquet builds anything, a footer whose parse would not fit in memory. */
function prescan(metadata: Uint8Array, name: string): void {
  let scan;
  try {
    scan = scanFooter(metadata);
  } catch (err) {
    if (err instanceof FooterScanProblem) throw new DatasetError(name, undefined, `unreadable parquet metadata: ${err.message}`);
    throw err;
  }
  if (scan.estimatedBytes > MAX_METADATA_OBJECT_BYTES) {
    throw new DatasetError(
      name,
      undefined,
      `invalid parquet metadata: the footer describes ${scan.schemaElements} schema elements and ${scan.rowGroups} row groups, which would take about ${showBytes(scan.estimatedBytes)} of memory to read, over the ${showBytes(MAX_METADATA_OBJECT_BYTES)} limit`,
    );
  }
}

/** The schema's leaf count, after checking the flat element list is exactly one well-formed tree. */
function checkSchema(schema: readonly SchemaElement[] | undefined): number {
  if (!Array.isArray(schema) || schema.length === 0) throw new FooterProblem('the schema is empty');
  const root = schema[0] as SchemaElement;
  if (!isCount(root.num_children) || root.num_children === 0) throw new FooterProblem('the schema root has no columns');
  // Children still to read at each open level, walked without recursion.
  const open: number[] = [root.num_children];
  let leaves = 0;
  for (let i = 1; i < schema.length; i++) {
    if (open.length === 0) throw new FooterProblem(`the schema has ${schema.length} elements but its tree ends after ${i}`);
    open[open.length - 1] = (open[open.length - 1] as number) - 1;
    const element = schema[i] as SchemaElement;
    const where = `schema element ${i}${typeof element.name === 'string' ? ` (${JSON.stringify(element.name.slice(0, 40))})` : ''}`;
    if (typeof element.name !== 'string') throw new FooterProblem(`${where} has no name`);
    const children = element.num_children;
    if (children !== undefined && !isCount(children)) throw new FooterProblem(`${where} claims ${String(children)} children`);
    if (children !== undefined && children > 0) {
      if (open.length >= MAX_SCHEMA_DEPTH) throw new FooterProblem(`${where} is nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
      open.push(children);
    } else {
      if (element.type === undefined) throw new FooterProblem(`${where} is a column without a type`);
      leaves++;
    }
    while (open.length > 0 && open[open.length - 1] === 0) open.pop();
  }
  if (open.length > 0) throw new FooterProblem(`the schema has ${schema.length} elements but its tree needs more`);
  return leaves;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function checkMetadata(metadata: FileMetaData): RowGroupSpan[] {
  const leaves = checkSchema(metadata.schema);
  if (!Array.isArray(metadata.row_groups)) throw new FooterProblem('there is no list of row groups');
  const groups: RowGroupSpan[] = [];
  let rows = 0;
  metadata.row_groups.forEach((group, g) => {
    const count = Number(group.num_rows);
    if (!isCount(count)) throw new FooterProblem(`row group ${g} claims ${String(group.num_rows)} rows`);
    if (!Array.isArray(group.columns) || group.columns.length !== leaves) {
      throw new FooterProblem(`row group ${g} has ${Array.isArray(group.columns) ? group.columns.length : 'no'} column chunks for ${leaves} schema columns`);
    }
    group.columns.forEach((column, c) => {
      const meta = column.meta_data;
      const where = `row group ${g} column ${c}`;
      if (meta === undefined) throw new FooterProblem(`${where} has no column metadata`);
      if (!Array.isArray(meta.encodings)) throw new FooterProblem(`${where} has no list of encodings`);
      if (!Array.isArray(meta.path_in_schema) || meta.path_in_schema.length === 0) throw new FooterProblem(`${where} has no path in the schema`);
      for (const field of ['num_values', 'total_compressed_size', 'total_uncompressed_size', 'data_page_offset'] as const) {
        if (!isCount(Number(meta[field]))) throw new FooterProblem(`${where} claims ${field} ${String(meta[field])}`);
      }
    });
    if (count > 0) groups.push({ first: rows + 1, last: rows + count });
    rows += count;
  });
  return groups;
}
