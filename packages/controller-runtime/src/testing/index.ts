/**
 * Fakes that behave, clocks and factories for testing code built on the controller runtime.
 * `import { FakeClock, FakeListWatch } from '@kaito-ts/controller-runtime/testing'`.
 */
export { FakeClock, flushPromises } from './fake-clock.js';
export { FakeListWatch, goneError } from './fake-list-watch.js';
export { makeConfigMap, type ConfigMapLike } from './objects.js';
export { recordingLogger, silentLogger, type RecordedLine } from './logger.js';
export { FakeApiServer, apiError, type FakeResource, type RecordedRequest } from './fake-api-server.js';
export { FakeEventRecorder } from './fake-event-recorder.js';
export {
  widgetController,
  widgetCrd,
  Widget,
  Widgets,
  WIDGET_FINALIZER,
  setCondition,
  Condition,
  type WidgetControllerOptions,
} from './widget-controller.js';
