import { defineSettings, parseDuration, parseSettings, SettingCodecs as C, settingsConflict, SettingsError, settingsHelp } from './settings.js';

const TABLE = defineSettings({
  method: { flag: 'method', env: 'TUNING_METHOD', codec: C.oneOf(['lora', 'qlora']), description: 'lora | qlora' },
  dataDir: { flag: 'data-dir', env: 'DATA_DIR', codec: C.absolutePath, default: '/mnt/data', description: 'input directory' },
  count: { flag: 'count', env: ['APP_COUNT', 'COUNT'], codec: C.wholeNumber({ min: 1 }), default: '1', description: 'how many' },
  token: { flag: 'token', env: 'APP_TOKEN', codec: C.optional(C.text), description: 'registry token', secret: true },
  quota: { flag: 'quota', env: 'APP_QUOTA', kind: 'list', codec: C.keyValues({ what: 'SKU=N' }), description: 'per-SKU limits', placeholder: 'SKU=N' },
  json: { flag: 'json', kind: 'switch', codec: C.boolean, default: false, description: 'print JSON' },
  level: { flag: 'log-level', env: 'LOG_LEVEL', codec: C.oneOf(['error', 'warn', 'info', 'debug'], { ignoreCase: true }), default: 'info', description: 'log level' },
});

function values(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseSettings(TABLE, argv, env);
  if (parsed.help) throw new Error('expected values');
  return parsed.values;
}

function errorOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseSettings(TABLE, argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as Error).message;
  }
  throw new Error('expected a SettingsError');
}

describe('parseSettings', () => {
  it('takes a flag over its variable over the default, and an empty variable counts as unset', () => {
    expect(values([], { TUNING_METHOD: 'lora' })).toEqual({ method: 'lora', dataDir: '/mnt/data', count: 1, token: undefined, quota: {}, json: false, level: 'info' });
    expect(values(['--method=qlora', '--data-dir', '/d'], { TUNING_METHOD: 'lora', DATA_DIR: '/e' })).toMatchObject({ method: 'qlora', dataDir: '/d' });
    expect(values([], { TUNING_METHOD: 'lora', DATA_DIR: '' })).toMatchObject({ dataDir: '/mnt/data' });
  });

  it('reads the first set of several variables', () => {
    expect(values([], { TUNING_METHOD: 'lora', COUNT: '3' })).toMatchObject({ count: 3 });
    expect(values([], { TUNING_METHOD: 'lora', COUNT: '3', APP_COUNT: '2' })).toMatchObject({ count: 2 });
  });

  it('repeats a list flag, and splits a list variable on commas', () => {
    expect(values(['--method=lora', '--quota', 'a=1', '--quota', 'b=2,c=3'])).toMatchObject({ quota: { a: '1', b: '2', c: '3' } });
    expect(values(['--method=lora'], { APP_QUOTA: 'a=1,b=2' })).toMatchObject({ quota: { a: '1', b: '2' } });
  });

  it('reads a switch from the flag or a variable-style value', () => {
    expect(values(['--method=lora', '--json'])).toMatchObject({ json: true });
  });

  it('reads an upper-case log level', () => {
    expect(values(['--method=lora'], { LOG_LEVEL: 'DEBUG' })).toMatchObject({ level: 'debug' });
  });

  it.each([
    [[], {}, 'invalid setting --method (TUNING_METHOD): expected one of: lora, qlora, got nothing'],
    [['--method', 'full'], {}, 'invalid setting --method (TUNING_METHOD): expected one of: lora, qlora, got "full"'],
    [['--method=lora', '--data-dir=data'], {}, 'invalid setting --data-dir (DATA_DIR): expected an absolute path, got "data" (e.g. --data-dir=/mnt/data)'],
    [['--method=lora'], { COUNT: '0x2' }, 'invalid setting --count (APP_COUNT, COUNT): expected a whole number from 1, got "0x2" (e.g. --count=1)'],
    [['--method=lora', '--count', ' '], {}, 'invalid setting --count (APP_COUNT, COUNT): expected a whole number from 1, got " " (e.g. --count=1)'],
    [['--method=lora', '--count=1e1'], {}, 'invalid setting --count (APP_COUNT, COUNT): expected a whole number from 1, got "1e1" (e.g. --count=1)'],
    [['--method=lora', '--quota', 'a'], {}, 'invalid setting --quota (APP_QUOTA): expected SKU=N, got "a"'],
    [['--method=lora', '--log-level', 'verbose'], {}, 'invalid setting --log-level (LOG_LEVEL): expected one of: error, warn, info, debug, got "verbose" (e.g. --log-level=info)'],
    [['--method=lora', '--push-to=x'], {}, 'invalid setting: unknown flag --push-to; see --help'],
    [['--method=lora', '-x'], {}, 'invalid setting: unknown flag -x; see --help'],
    [['--method=lora', 'extra'], {}, 'invalid setting: unexpected argument "extra"; flags look like --name=value'],
    [['--method=lora', '--data-dir'], {}, 'invalid setting --data-dir (DATA_DIR): expected a value (e.g. --data-dir=/mnt/data)'],
    [['--method=lora', '--json=yes'], {}, 'invalid setting --json: expected no value (it is a switch)'],
  ])('refuses %p %p with one line', (argv, env, message) => {
    expect(errorOf(argv, env)).toBe(message);
  });

  it('names the flag at fault on the error', () => {
    try {
      parseSettings(TABLE, ['--method=x'], {});
    } catch (err) {
      expect(err).toMatchObject({ code: 'InvalidSettings', flag: 'method', name: 'SettingsError' });
      return;
    }
    throw new Error('expected an error');
  });

  it('never repeats a secret value', () => {
    const SECRET = defineSettings({ token: { flag: 'token', env: 'APP_TOKEN', codec: C.wholeNumber(), description: 'a numeric token', secret: true } });
    let message = '';
    try {
      parseSettings(SECRET, [], { APP_TOKEN: 'hunter2' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('invalid setting --token (APP_TOKEN): expected WholeNumber');
    expect(message).not.toContain('hunter2');
  });

  it('returns positionals only when asked to', () => {
    const parsed = parseSettings(TABLE, ['apply', 'crds/', '--method=lora'], {}, { positionals: true });
    expect(parsed).toMatchObject({ help: false, positionals: ['apply', 'crds/'] });
  });

  it('answers --help and -h before decoding anything', () => {
    expect(parseSettings(TABLE, ['--help'], {})).toEqual({ help: true });
    expect(parseSettings(TABLE, ['--method=bad', '-h'], {})).toEqual({ help: true });
    expect(parseSettings(TABLE, ['--method=lora', '--', '--help'], {}, { positionals: true })).toMatchObject({ help: false, positionals: ['--help'] });
  });
});

describe('settingsConflict', () => {
  it('names every setting involved', () => {
    expect(settingsConflict([TABLE.method, TABLE.dataDir], 'expected exactly one of them').message).toBe(
      'invalid setting --method (TUNING_METHOD) / --data-dir (DATA_DIR): expected exactly one of them',
    );
  });
});

describe('settingsHelp', () => {
  it('renders one aligned row per setting with its variables and default, hiding secrets', () => {
    const help = settingsHelp(TABLE, 'usage: app [flags]');
    const lines = help.split('\n');
    expect(lines[0]).toBe('usage: app [flags]');
    expect(lines).toContain('  --data-dir VALUE   DATA_DIR          input directory (default /mnt/data)');
    expect(lines).toContain('  --count VALUE      APP_COUNT, COUNT  how many (default 1)');
    expect(lines).toContain('  --quota SKU=N      APP_QUOTA         per-SKU limits');
    expect(lines).toContain('  --token VALUE      APP_TOKEN         registry token');
    expect(lines).toContain('  --json                               print JSON');
    expect(lines).toContain('  -h, --help                           print this help');
  });
});

describe('settingsHelp without variables', () => {
  it('leaves the environment column out', () => {
    const help = settingsHelp(defineSettings({ keys: { flag: 'keys', codec: C.wholeNumber(), default: '10', description: 'keys per round', placeholder: 'N' } }), 'usage: bench');
    expect(help.split('\n').slice(2)).toEqual(['  flag        meaning', '  --keys N    keys per round (default 10)', '  -h, --help  print this help']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['1500', 1500],
    ['500ms', 500],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['soon', undefined],
    ['5s ago', undefined],
  ])('reads %s as %p ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
