/**
 * A walk over the parquet footer's Thrift compact-protocol bytes, before hyparquet parses them,
 * that bounds what the parse would build. hyparquet turns every struct, list, binary and field
 * into JS objects, and the bytes do not bound that memory: an empty struct is one byte on the
 * wire but ~220 bytes of objects (measured with hyparquet 1.31.5: 1,000,000 empty schema
 * elements in 0.95 MB of footer made a 263 MiB peak), so a 15 MB footer of empty schema elements
 * would build ~2.9 GB. Measured costs, in bytes of JS heap per wire item (peak RSS over the
 * baseline, one million of each in a fresh process): an element of a list of structs ~215, a
 * binary ~120, a field past the first few of one struct (the object turns into a dictionary) ~140,
 * a row group of one column chunk as writers write it (4 structs, 3 lists, 3 binaries, ~25
 * fields) ~1,860, which the weights estimate at ~2,170.
 * The estimate below uses weights at or above those, so it never undercounts; the caller refuses a
 * footer whose estimate is over its budget, and no bytes are allocated per element here.
 *
 * Hand-written because no parquet or Thrift library bounds the objects its parse will build, and
 * the check must run before one does; the walk is iterative (an explicit stack), so nesting cannot
 * overflow the JS stack.
 */

/** Deeper than parquet's FileMetaData nests (about 8), shallow enough to refuse a nesting bomb. */
export const MAX_THRIFT_DEPTH = 32;
/** More schema elements than any dataset has (dolly's has 5); DuckDB walks each. */
export const MAX_SCHEMA_ELEMENTS = 100_000;

/** Bytes of JS heap per wire item, rounded up from the measurements above. */
const COST = { struct: 240, list: 100, listSlot: 8, binary: 128, i64: 32, field: 16, wideField: 160 } as const;
/** Fields of one struct past this count are charged as `wideField` (no parquet struct has so many). */
const NARROW_FIELDS = 32;

/** Compact-protocol type ids (Thrift's TCompactProtocol). */
const T = { TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

export class FooterScanProblem extends Error {}

export interface FooterScan {
  /** Elements of FileMetaData.schema (field 2). */
  readonly schemaElements: number;
  /** Elements of FileMetaData.row_groups (field 4). */
  readonly rowGroups: number;
  /** Upper estimate, in bytes, of the JS objects hyparquet would build from the footer. */
  readonly estimatedBytes: number;
}

type Frame = { readonly kind: 'struct'; fieldId: number; fields: number } | { readonly kind: 'list'; readonly elemType: number; left: number };

/** Scans `bytes` (the FileMetaData struct alone, without the length and magic). */
export function scanFooter(bytes: Uint8Array): FooterScan {
  let at = 0;
  let estimated = COST.struct;
  let schemaElements = 0;
  let rowGroups = 0;
  const stack: Frame[] = [{ kind: 'struct', fieldId: 0, fields: 0 }];

  const byte = (): number => {
    if (at >= bytes.length) throw new FooterScanProblem(`the footer ends inside its metadata (at byte ${at})`);
    return bytes[at++] as number;
  };
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const b = byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new FooterScanProblem(`a varint at byte ${at} is longer than 10 bytes`);
  };
  const skip = (n: number): void => {
    if (n > bytes.length - at) throw new FooterScanProblem(`a value at byte ${at} claims ${n} bytes but ${bytes.length - at} remain`);
    at += n;
  };
  const push = (frame: Frame): void => {
    if (stack.length >= MAX_THRIFT_DEPTH) throw new FooterScanProblem(`the metadata is nested more than ${MAX_THRIFT_DEPTH} levels deep (at byte ${at})`);
    stack.push(frame);
  };
  /** Reads one value of `type`; a struct or list is pushed and read by the loop. */
  const value = (type: number, inList: boolean): void => {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        if (inList) skip(1); // in a list a bool is a byte; as a field it lives in the field header
        return;
      case T.BYTE:
        return skip(1);
      case T.I16:
      case T.I32:
        varint();
        return;
      case T.I64:
        estimated += COST.i64;
        varint();
        return;
      case T.DOUBLE:
        return skip(8);
      case T.BINARY:
        estimated += COST.binary;
        return skip(varint());
      case T.LIST: {
        const start = at;
        const header = byte();
        const elemType = header & 0x0f;
        const size = header >> 4 === 0x0f ? varint() : header >> 4;
        // Every element takes at least one byte, so a count over the bytes left is a lie.
        if (size > bytes.length - at) throw new FooterScanProblem(`a list at byte ${start} claims ${size} elements but ${bytes.length - at} bytes remain`);
        estimated += COST.list + size * COST.listSlot;
        push({ kind: 'list', elemType, left: size });
        return;
      }
      case T.STRUCT:
        estimated += COST.struct;
        push({ kind: 'struct', fieldId: 0, fields: 0 });
        return;
      default:
        // SET and MAP are not in parquet's Thrift, and hyparquet cannot read them.
        throw new FooterScanProblem(`unknown Thrift type ${type} at byte ${at - 1}`);
    }
  };

  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    if (top.kind === 'list') {
      if (top.left === 0) {
        stack.pop();
        continue;
      }
      top.left--;
      value(top.elemType, true);
      continue;
    }
    const header = byte();
    const type = header & 0x0f;
    if (type === 0) {
      stack.pop();
      continue;
    }
    const delta = header >> 4;
    if (delta !== 0) top.fieldId += delta;
    else {
      const zigzag = varint();
      top.fieldId = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    }
    top.fields++;
    estimated += top.fields > NARROW_FIELDS ? COST.wideField : COST.field;
    if (stack.length === 1 && type === T.LIST && (top.fieldId === 2 || top.fieldId === 4)) {
      const frames = stack.length;
      value(type, false);
      const list = stack[frames] as Frame & { kind: 'list' };
      if (top.fieldId === 2) {
        schemaElements = list.left;
        if (schemaElements > MAX_SCHEMA_ELEMENTS) throw new FooterScanProblem(`the schema has ${schemaElements} elements, over the ${MAX_SCHEMA_ELEMENTS} limit`);
      } else rowGroups = list.left;
      continue;
    }
    value(type, false);
  }
  return { schemaElements, rowGroups, estimatedBytes: estimated };
}
