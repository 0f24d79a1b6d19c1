/**
 * Kubernetes resource quantities (`"8"`, `"500m"`, `"100Gi"`, `"1e3"`), parsed to numbers for
 * comparisons ("is any `nvidia.com/gpu` allocatable?"). Precision beyond a double does not matter
 * for those questions, so this is not a full `resource.Quantity`.
 */
import { codedError } from '@kaito-ts/core';

/** A quantity as the API serves it: `"100Gi"`, `"500m"`, or a bare number. */
export type QuantityValue = string | number;
/** Resource name → quantity (`capacity`, `allocatable`, `requests`). */
export type ResourceList = Readonly<Record<string, QuantityValue>>;

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

export class InvalidQuantityError extends codedError('InvalidQuantity') {
  constructor(readonly value: unknown) {
    super(`invalid quantity ${JSON.stringify(value)}: expected a number with an optional suffix such as 500m, 8 or 100Gi`);
  }
}

/** The quantity as a number (`"100Gi"` → 107374182400); throws InvalidQuantityError. */
export function parseQuantity(value: QuantityValue): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidQuantityError(value);
    return value;
  }
  const m = QUANTITY.exec(value.trim());
  if (m === null || m[1] === undefined) throw new InvalidQuantityError(value);
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIX[m[3] ?? ''] ?? 1);
}

/** Like parseQuantity, but undefined for a missing or malformed value (a Node we do not control). */
export function quantityOf(list: ResourceList | undefined, name: string): number | undefined {
  const v = list?.[name];
  if (v === undefined) return undefined;
  try {
    return parseQuantity(v);
  } catch {
    return undefined;
  }
}
