import { describe, expect, it } from 'vitest';
import * as entry from './index.js';

describe('@sprout/trainer', () => {
  it('exposes its public entry', () => {
    expect(entry.packageName).toBe('@sprout/trainer');
  });
});
