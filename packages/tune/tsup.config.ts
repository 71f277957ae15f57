import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.config.base';

// A second entry: the script tune() forks for each local trial (dist/trialProcess.js).
export default defineConfig({
  ...libraryConfig,
  entry: ['src/index.ts', 'src/trialProcess.ts'],
} as typeof libraryConfig);
