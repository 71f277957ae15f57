#!/usr/bin/env node
import { main } from './main.js';

// A reader that went away (`sprout --help | head -1`) is not an error worth a stack trace; main()
// stops a run when it happens, and output written after main() returns is simply dropped.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
process.exitCode = await main(process.argv.slice(2));
