#!/usr/bin/env node
/**
 * The `ntshm` bin: runs the CLI on the process's arguments and exits with
 * its code.
 */
import process from 'node:process';
import { main } from './program.js';

const color = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;

process.exitCode = await main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color,
});
