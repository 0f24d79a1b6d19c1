import { CodedError, codedError, codeIn, hasCode } from './errors.js';

class QuotaExceededError extends codedError('QuotaExceeded') {}

class RenderError extends CodedError<'PlanDoesNotFit' | 'UnsupportedOption'> {
  constructor(
    readonly code: 'PlanDoesNotFit' | 'UnsupportedOption',
    message: string,
  ) {
    super(message);
  }
}

describe('CodedError', () => {
  it('is an Error named after the concrete class, with its literal code and cause', () => {
    const cause = new Error('429 from the cloud');
    const err = new QuotaExceededError('quota for NC family used up', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toBeInstanceOf(QuotaExceededError);
    expect(err.name).toBe('QuotaExceededError');
    const code: 'QuotaExceeded' = err.code; // the code's type is the literal, for exhaustive switches
    expect(code).toBe('QuotaExceeded');
    expect(err.cause).toBe(cause);
    expect(err.message).toBe('quota for NC family used up');
    expect(String(err)).toBe('QuotaExceededError: quota for NC family used up');
  });

  it('takes its code from the constructor where one class has several', () => {
    expect(new RenderError('PlanDoesNotFit', 'too big').code).toBe('PlanDoesNotFit');
  });
});

describe('codeIn and hasCode', () => {
  const wrapped = new Error('create failed', { cause: new Error('retrying', { cause: new QuotaExceededError('no quota') }) });

  it('find a code along the cause chain', () => {
    expect(codeIn(wrapped, ['NotFound', 'QuotaExceeded'])).toBe('QuotaExceeded');
    expect(hasCode(wrapped, 'QuotaExceeded')).toBe(true);
  });

  it('return the outermost of several codes', () => {
    const outer = Object.assign(new Error('outer', { cause: new QuotaExceededError('inner') }), { code: 'NotFound' });
    expect(codeIn(outer, ['QuotaExceeded', 'NotFound'])).toBe('NotFound');
  });

  it.each<[string, unknown]>([
    ['a non-error', 'QuotaExceeded'],
    ['an error with another code', new RenderError('UnsupportedOption', 'x')],
    ['an error with a numeric code', Object.assign(new Error('x'), { code: 1 })],
    ['undefined', undefined],
  ])('find nothing in %s', (_name, err) => {
    expect(codeIn(err, ['QuotaExceeded'])).toBeUndefined();
    expect(hasCode(err, 'QuotaExceeded')).toBe(false);
  });

  it('stop on a cycle of causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    expect(hasCode(a, 'QuotaExceeded')).toBe(false);
  });
});
