export { main } from './main.js';
export { buildProgram, type CliRequest, parseArgs } from './parseArgs.js';
