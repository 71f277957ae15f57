// The entry `tune()` forks for each local trial: one job over IPC, then exit (see runTrialWorker).
import { runTrialWorker } from './trialWorker.js';

runTrialWorker().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`sprout tune trial: ${error.message}\n`);
    process.exitCode = 1;
  },
);
