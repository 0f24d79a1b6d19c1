import { clock, Display, type DisplayOutput, lineDiff } from './display.js';

/** Collects what the display writes; `isTTY` as a terminal or a pipe would say. */
function output(isTTY: boolean): DisplayOutput & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, write: (t: string) => chunks.push(t), text: () => chunks.join('') };
}

/** Carriage return and erase-line: how the status line is redrawn. */
const ERASE = '\r\x1b[2K';

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('clock', () => {
  it.each([
    [0, '0:00'],
    [999, '0:00'],
    [61_000, '1:01'],
    [3_723_000, '1:02:03'],
  ])('shows %i ms as %s', (ms, text) => {
    expect(clock(ms)).toBe(text);
  });
});

describe('Display when stdout is not a TTY', () => {
  it('prints plain lines only: the phase, each new thing waited for with the phase’s elapsed time, and the phase’s duration', () => {
    const out = output(false);
    const c = fakeClock();
    const d = new Display({ out, phases: 7, now: c.now, tickMs: 0 });
    d.startPhase(4, 'provisioning');
    c.advance(12_000);
    d.waitFor('the node to join');
    d.waitFor('the node to join');
    d.info('Node aks-x joined');
    c.advance(3_400);
    d.endPhase('node up');
    expect(out.text()).toBe('\n▶ 4/7 provisioning   [at 0:00]\n  … 0:12 waiting for: the node to join\n  Node aks-x joined\n✓ 4/7 provisioning in 15.4s: node up\n');
    expect(['\x1b', '\r'].filter((c) => out.text().includes(c))).toEqual([]);
    expect(d.done).toEqual([{ number: 4, title: 'provisioning', ms: 15_400 }]);
  });

  it('indents a block under the phase', () => {
    const out = output(false);
    const d = new Display({ out, phases: 7, tickMs: 0 });
    d.block('NAME   READY\nws     True\n');
    expect(out.text()).toBe('    NAME   READY\n    ws     True\n');
  });
});

describe('Display on a TTY', () => {
  it('keeps one status line with the phase, its elapsed time, the total and what is waited for, and erases it before printing a line', () => {
    const out = output(true);
    const c = fakeClock();
    const d = new Display({ out, phases: 7, now: c.now, tickMs: 0 });
    c.advance(60_000);
    d.startPhase(5, 'training');
    c.advance(7_000);
    d.waitFor('step 3/12');
    expect(out.text().split(ERASE).pop()).toMatch(/^\S 5\/7 training · 0:07 \(total 1:07\) · waiting for: step 3\/12$/);
    d.info('status.tuning: step 3/12');
    // The status line is erased, the line printed, and the status line drawn again below it.
    expect(out.text()).toContain(`${ERASE}  status.tuning: step 3/12\n${ERASE}`);
    expect(out.text().split(ERASE).pop()).toMatch(/^\S 5\/7 training/);
    d.close();
    expect(out.text().endsWith(ERASE)).toBe(true);
  });

  it('has no status line outside a phase', () => {
    const out = output(true);
    const d = new Display({ out, phases: 7, tickMs: 0 });
    d.render();
    expect(out.text()).toBe('');
  });
});

describe('lineDiff', () => {
  it('marks each replaced line with its before (-) and after (+), and keeps the rest as it is', () => {
    expect(lineDiff('a: 1\nmethod: qlora\nc: 3\n', 'a: 1\nmethod: lora\nc: 3\n')).toBe('  a: 1\n- method: qlora\n+ method: lora\n  c: 3');
  });
});
