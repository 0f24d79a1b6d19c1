/** Small builders for OpenAPI v3 (structural) schemas as the Kubernetes API server wants them. */
export interface CelRule {
  rule: string;
  message: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  enum?: string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  default?: unknown;
  format?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: CelRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

export const str = (description: string, extra: Partial<Schema> = {}): Schema => ({ type: 'string', description, ...extra });
export const num = (description: string, extra: Partial<Schema> = {}): Schema => ({ type: 'number', description, ...extra });
export const int = (description: string, extra: Partial<Schema> = {}): Schema => ({ type: 'integer', description, ...extra });
export const arr = (description: string, items: Schema, extra: Partial<Schema> = {}): Schema => ({ type: 'array', description, items, ...extra });
export const obj = (description: string, properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema => ({
  type: 'object',
  description,
  properties,
  ...extra,
});
export const stringMap = (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: 'string' } });
export const schemaless = (description: string): Schema => ({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true });
