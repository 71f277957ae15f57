#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { enableRelaxedSimd } from '@sprout/trainer';
import { main } from './main.js';

// V8 doubles its young generation (16 MB for two semi-spaces) once start-up allocates quickly,
// and never gives it back; a training run keeps ~10 MB of JavaScript objects and makes little
// garbage a step, so the 8 MB it starts with is plenty: a default run peaks ~10 MB lower. This
// flag is read at every growth (`--max-semi-space-size` is fixed at start-up and would need a
// flag on the command line).
setFlagsFromString('--semi-space-growth-factor=1');

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
