import * as t from 'io-ts';
import { describeType, fieldContext, show } from '@kaito-ts/core';

/** A rule checked after the shape decoded; returns a message (optionally for a sub-field) when broken. */
export type Rule<A> = (value: A) => string | { field: string; message: string } | undefined;

/**
 * Adds cross-field rules to a codec. Rule failures carry their own message and, when a rule
 * names a sub-field, a path that ends in that field.
 */
export function withRules<C extends t.Any>(codec: C, rules: ReadonlyArray<Rule<t.TypeOf<C>>>, name = codec.name): RulesType<C> {
  return new RulesType(codec, rules, name);
}

/** A codec plus rules. `inner` lets error paths see through it (see `pathOf` in @kaito-ts/core). */
export class RulesType<C extends t.Any> extends t.Type<t.TypeOf<C>, t.OutputOf<C>, unknown> {
  readonly _tag = 'RulesType' as const;
  constructor(
    readonly inner: C,
    rules: ReadonlyArray<Rule<t.TypeOf<C>>>,
    name: string,
  ) {
    super(
      name,
      (u): u is t.TypeOf<C> => inner.is(u),
      (u, c) => {
        const base = inner.validate(u, c);
        if (base._tag === 'Left') return base;
        const errors: t.ValidationError[] = [];
        for (const rule of rules) {
          const broken = rule(base.right);
          if (broken === undefined) continue;
          if (typeof broken === 'string') {
            errors.push({ value: u, context: c, message: broken });
          } else {
            const field = (u as Record<string, unknown>)[broken.field];
            errors.push({ value: field, context: fieldContext(c, broken.field, field), message: broken.message });
          }
        }
        return errors.length > 0 ? t.failures(errors) : base;
      },
      inner.encode,
    );
  }
}

/** A branded string checked by a predicate, failing with "expected <description>, got <value>". */
export function checkedString<B extends { readonly [K in keyof B]: symbol }>(
  name: string,
  description: string,
  ok: (s: string) => boolean,
): t.Type<t.Branded<string, B>, string, unknown> {
  return new t.Type<t.Branded<string, B>, string, unknown>(
    name,
    (u): u is t.Branded<string, B> => typeof u === 'string' && ok(u),
    (u, c) =>
      typeof u === 'string' && ok(u)
        ? t.success(u as t.Branded<string, B>)
        : t.failure(u, c, `expected ${description}, got ${show(u)}`),
    String,
  );
}

/**
 * Shared with the CRD's CEL rule so the codec and the API server agree. The authority must name a
 * host (a name or an [IPv6] literal) after optional user info and before an optional port:
 * `https://user@/x` and `https://:443/x` name none.
 */
export const HTTP_URL_PATTERN = '^https?://([^\\s/?#@]*@)?([^\\s/?#@:\\[\\]]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]*)?([/?#][^\\s]*)?$';
const HTTP_URL = new RegExp(HTTP_URL_PATTERN);
const isHttpUrl = (s: string): boolean => s.length <= 2048 && HTTP_URL.test(s);

export interface HttpUrlBrand { readonly HttpUrl: unique symbol }
/** An absolute http:// or https:// URL. */
export const HttpUrl = checkedString<HttpUrlBrand>('HttpUrl', 'an http(s) URL', isHttpUrl);
export type HttpUrl = t.TypeOf<typeof HttpUrl>;

export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const MODEL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$';
export const INSTANCE_TYPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
export const IMAGE_REFERENCE_PATTERN =
  '^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$';
const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);
const DNS_SUBDOMAIN = new RegExp(DNS_SUBDOMAIN_PATTERN);

export interface DnsLabelBrand { readonly DnsLabel: unique symbol }
/** RFC 1123 label: lowercase alphanumerics and '-', at most 63 characters. */
export const DnsLabel = checkedString<DnsLabelBrand>(
  'DnsLabel',
  'a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)',
  (s) => s.length <= 63 && DNS_LABEL.test(s),
);
export type DnsLabel = t.TypeOf<typeof DnsLabel>;

export interface DnsSubdomainBrand { readonly DnsSubdomain: unique symbol }
export const DnsSubdomain = checkedString<DnsSubdomainBrand>(
  'DnsSubdomain',
  'a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)',
  (s) => s.length <= 253 && DNS_SUBDOMAIN.test(s),
);
export type DnsSubdomain = t.TypeOf<typeof DnsSubdomain>;

export interface NonEmptyStringBrand { readonly NonEmptyString: unique symbol }
export const NonEmptyString = checkedString<NonEmptyStringBrand>('NonEmptyString', 'a non-empty string', (s) => s.trim().length > 0);
export type NonEmptyString = t.TypeOf<typeof NonEmptyString>;

export interface ModelNameBrand { readonly ModelName: unique symbol }
/** A preset name (`phi-3-mini-128k-instruct`) or a Hugging Face id (`org/model`). */
export const ModelName = checkedString<ModelNameBrand>(
  'ModelName',
  'a preset model name or a Hugging Face "org/model" id',
  (s) => s.length <= 253 && new RegExp(MODEL_NAME_PATTERN).test(s),
);
export type ModelName = t.TypeOf<typeof ModelName>;

export interface InstanceTypeBrand { readonly InstanceType: unique symbol }
/** A cloud VM size such as `Standard_NC6s_v3` or `p4d.24xlarge`. */
export const InstanceType = checkedString<InstanceTypeBrand>(
  'InstanceType',
  'a VM instance type such as "Standard_NC6s_v3" or "p4d.24xlarge"',
  (s) => s.length <= 128 && new RegExp(INSTANCE_TYPE_PATTERN).test(s),
);
export type InstanceType = t.TypeOf<typeof InstanceType>;

export interface ImageReferenceBrand { readonly ImageReference: unique symbol }
/** A container image reference (`registry/repo:tag` or `@sha256:…`). */
export const ImageReference = checkedString<ImageReferenceBrand>(
  'ImageReference',
  'a lowercase image reference such as "myregistry.azurecr.io/adapters/phi-3:0.0.1"',
  (s) => s.length <= 512 && new RegExp(IMAGE_REFERENCE_PATTERN).test(s),
);
export type ImageReference = t.TypeOf<typeof ImageReference>;

export interface PositiveIntBrand { readonly PositiveInt: unique symbol }
export const PositiveInt = new t.Type<t.Branded<number, PositiveIntBrand>, number, unknown>(
  'PositiveInt',
  (u): u is t.Branded<number, PositiveIntBrand> => typeof u === 'number' && Number.isInteger(u) && u >= 1,
  (u, c) =>
    typeof u === 'number' && Number.isInteger(u) && u >= 1
      ? t.success(u as t.Branded<number, PositiveIntBrand>)
      : t.failure(u, c, `expected a positive integer, got ${show(u)}`),
  Number,
);
export type PositiveInt = t.TypeOf<typeof PositiveInt>;

/** A literal union with a readable failure ("expected one of: lora, qlora"). */
export function oneOf<L extends string>(name: string, values: readonly [L, ...L[]]): t.Type<L, L, unknown> {
  const allowed = new Set<string>(values);
  return new t.Type<L, L, unknown>(
    name,
    (u): u is L => typeof u === 'string' && allowed.has(u),
    (u, c) => (typeof u === 'string' && allowed.has(u) ? t.success(u as L) : t.failure(u, c, `expected ${describeType(values.map((v) => `"${v}"`).join(' | '))}, got ${show(u)}`)),
    (a) => a,
  );
}
