#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { main } from './main.js';

// The tensor kernels' fused multiply-add build needs WebAssembly relaxed SIMD: on by default from
// Node 22, behind this flag in Node 20. Set before any module compiles, it holds for this process
// and the worker threads it starts, as `node --experimental-wasm-relaxed-simd` would.
if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');

// A reader that went away (`sprout --help | head -1`) is not an error worth a stack trace; main()
// stops a run when it happens, and output written after main() returns is simply dropped.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
process.exitCode = await main(process.argv.slice(2));
