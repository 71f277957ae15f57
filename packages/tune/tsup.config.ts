import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.config.base';

// More entries: the scripts tune() forks for each local trial (dist/trialProcess.js) and for each
// local queue worker (dist/workerProcess.js).
export default defineConfig({
  ...libraryConfig,
  entry: ['src/index.ts', 'src/trialProcess.ts', 'src/workerProcess.ts'],
} as typeof libraryConfig);
