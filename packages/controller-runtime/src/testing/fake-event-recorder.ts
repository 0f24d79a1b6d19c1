import type { Event, EventRecorder } from '../events/recorder.js';

/** Records every published event; `reasons()` for quick assertions. */
export class FakeEventRecorder implements EventRecorder {
  readonly events: Event[] = [];

  publish(...events: Event[]): void {
    this.events.push(...events);
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }

  reset(): void {
    this.events.length = 0;
  }
}
