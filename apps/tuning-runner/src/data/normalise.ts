/**
 * Row validation and normalisation into the three shapes TRL and our trainer read:
 * `{"messages":[{role,content}…]}`, `{"prompt","completion"}` or `{"text"}`. Hand-written rather
 * than io-ts because it runs once per row of multi-GB inputs; messages name the field path.
 */

export type RowFormat = 'messages' | 'prompt-completion' | 'text';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export type NormalisedRow =
  | { readonly messages: readonly ChatMessage[] }
  | { readonly prompt: string | readonly ChatMessage[]; readonly completion: string | readonly ChatMessage[] }
  | { readonly text: string };

export const ROLES: readonly string[] = ['system', 'user', 'assistant', 'tool'];

/** A row problem: `path` is the field (`messages[1].role`), `problem` what is wrong. */
export class RowProblem {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {}
  toString(): string {
    return this.path ? `${this.path}: ${this.problem}` : this.problem;
  }
}

const MAX_FIELDS_NAMED = 10;

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function isRecord(u: unknown): u is Record<string, unknown> {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

/** CSV cells and some parquet files hold the message list as a JSON string. */
function parseIfJsonText(value: unknown, path: string): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trimStart();
  if (!trimmed.startsWith('[')) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (err) {
    throw new RowProblem(path, `not valid JSON: ${(err as Error).message}`);
  }
}

function messageList(value: unknown, path: string): ChatMessage[] {
  const list = parseIfJsonText(value, path);
  if (!Array.isArray(list)) throw new RowProblem(path, `expected a list of {role, content}, got ${show(list)}`);
  if (list.length === 0) throw new RowProblem(path, 'expected at least one message, got an empty list');
  const out: ChatMessage[] = new Array<ChatMessage>(list.length);
  for (let i = 0; i < list.length; i++) {
    const m: unknown = list[i];
    if (!isRecord(m)) throw new RowProblem(`${path}[${i}]`, `expected {role, content}, got ${show(m)}`);
    const { role, content } = m;
    if (typeof role !== 'string' || !ROLES.includes(role)) {
      throw new RowProblem(`${path}[${i}].role`, `expected one of ${ROLES.join(', ')}, got ${show(role)}`);
    }
    if (typeof content !== 'string') throw new RowProblem(`${path}[${i}].content`, `expected a string, got ${show(content)}`);
    out[i] = { role, content };
  }
  return out;
}

function nonEmptyText(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new RowProblem(path, `expected a string, got ${show(value)}`);
  if (value.trim() === '') throw new RowProblem(path, 'expected non-empty text, got an empty string');
  return value;
}

/**
 * A prompt or completion may be plain text that starts with "[" (`[INST] …`, `["a", "b"]`): a
 * string is read as a message list only when it is JSON for a list of objects.
 */
function textOrMessages(value: unknown, path: string): string | ChatMessage[] {
  if (Array.isArray(value)) return messageList(value, path);
  let parsed: unknown;
  try {
    parsed = parseIfJsonText(value, path);
  } catch (err) {
    if (err instanceof RowProblem) return nonEmptyText(value, path);
    throw err;
  }
  return Array.isArray(parsed) && parsed.length > 0 && parsed.every(isRecord) ? messageList(parsed, path) : nonEmptyText(value, path);
}

/** Which format a row is in, from its fields. */
export function formatOf(row: Record<string, unknown>): RowFormat | 'dolly' | undefined {
  if ('messages' in row) return 'messages';
  if ('prompt' in row && 'completion' in row) return 'prompt-completion';
  if ('text' in row) return 'text';
  if ('instruction' in row && 'response' in row) return 'dolly';
  return undefined;
}

/**
 * Validates one row and returns it normalised, or throws a RowProblem. Dolly's original
 * `instruction`/`context`/`response` columns become a user + assistant conversation.
 */
export function normaliseRow(raw: unknown): { format: RowFormat; row: NormalisedRow } {
  if (!isRecord(raw)) throw new RowProblem('', `expected an object, got ${show(raw)}`);
  const format = formatOf(raw);
  switch (format) {
    case 'messages':
      return { format, row: { messages: messageList(raw.messages, 'messages') } };
    case 'prompt-completion':
      return { format, row: { prompt: textOrMessages(raw.prompt, 'prompt'), completion: textOrMessages(raw.completion, 'completion') } };
    case 'text':
      return { format, row: { text: nonEmptyText(raw.text, 'text') } };
    case 'dolly': {
      const instruction = nonEmptyText(raw.instruction, 'instruction');
      const response = nonEmptyText(raw.response, 'response');
      const context = raw.context;
      if (context !== undefined && context !== null && typeof context !== 'string') {
        throw new RowProblem('context', `expected a string, got ${show(context)}`);
      }
      const user = typeof context === 'string' && context.trim() !== '' ? `${instruction}\n\n${context}` : instruction;
      return { format: 'messages', row: { messages: [{ role: 'user', content: user }, { role: 'assistant', content: response }] } };
    }
    default: {
      // A hostile row may have a million fields or a field name of megabytes: a few are named, cut.
      const fields = Object.keys(raw);
      const named = fields.slice(0, MAX_FIELDS_NAMED).map((f) => (f.length > 40 ? `${f.slice(0, 37)}...` : f));
      const more = fields.length > MAX_FIELDS_NAMED ? ` and ${fields.length - MAX_FIELDS_NAMED} more` : '';
      throw new RowProblem(
        '',
        `expected a "messages" field, "prompt" and "completion", or "text", got ${fields.length ? `fields ${named.join(', ')}${more}` : 'no fields'}`,
      );
    }
  }
}
