#!/usr/bin/env node
import { enableRelaxedSimd } from '@sprout/trainer';
import { main } from './main.js';

// The tensor kernels' fused multiply-add build needs WebAssembly relaxed SIMD: on by default from
// Node 22, behind a V8 flag in Node 20, which this sets (before any module compiles) for this
// process and the worker threads it starts.
enableRelaxedSimd();

// A reader that went away (`sprout --help | head -1`) is not an error worth a stack trace; main()
// stops a run when it happens, and output written after main() returns is simply dropped.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
process.exitCode = await main(process.argv.slice(2));
