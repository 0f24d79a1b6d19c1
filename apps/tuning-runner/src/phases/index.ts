export { abortable, TerminatedError, type RunContext } from './context.js';
export { checkConfig, loadConfig, trainerConfig, type RunConfig } from './config.js';
export { gatherInputs } from './download.js';
export { convertDataset, type Dataset } from './convert.js';
export { train, type Training } from './train.js';
export { ship, verify, type Shipped } from './ship.js';
export { reportFailure, reportSuccess, type RunResult } from './report.js';
export { trainerCommand } from './trainer-command.js';
