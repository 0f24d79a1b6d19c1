/**
 * Bounds on what one input may make the converter hold, so a hostile or broken file ends as a
 * DatasetError instead of gigabytes of memory: every size a file claims is checked against these
 * before anything of that size is allocated or decompressed.
 */
export interface Limits {
  /** The largest row: its input record (JSON line, array element, CSV record) and its JSONL line. */
  readonly maxRowBytes: number;
  /** The largest parquet footer (file metadata) read. */
  readonly maxMetadataBytes: number;
  /**
   * DuckDB's memory limit while it reads a parquet file: pages, whose sizes come from their
   * headers, are decompressed inside it, so no page can claim more.
   */
  readonly parquetMemoryBytes: number;
}

export const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Limits = {
  maxRowBytes: 64 * MiB,
  maxMetadataBytes: 16 * MiB,
  parquetMemoryBytes: 64 * MiB,
};

export function showBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(n % MiB === 0 ? 0 : 1)} MiB` : `${n} bytes`;
}
