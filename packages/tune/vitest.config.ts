import { sproutTestConfig } from '../../vitest.shared.js';

export default sproutTestConfig(import.meta.dirname);
