#!/usr/bin/env node
// The `steerdns` executable: runs main() and sets the exit code. `serve` keeps running after
// main() returns 0 (its sockets hold the process open), so only a failure sets one there.
import { SteerError } from '../errors.js';
import { main } from './main.js';

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    if (code !== 0 || argv[0] !== 'serve') process.exitCode = code;
  },
  (err: unknown) => {
    const text = err instanceof SteerError ? err.describe() : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`steerdns: ${text}\n`);
    process.exitCode = 1;
  },
);
