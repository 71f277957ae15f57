import { createRequire } from 'node:module';

/** This package's version (from its package.json, beside dist/ and src/ alike). */
export const SPROUT_VERSION: string = createRequire(import.meta.url)('../package.json').version;
