#!/usr/bin/env node
// Owns the `bw` executable's entry: runs the program on this process's argv and env, and exits with its code.
import { program } from './bw.js';
import { EXIT } from './output.js';

let code: number = EXIT.ok;
await program(process.env, (c) => (code = c))
  .exitOverride((e) => process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage)) // --help: 0; a usage mistake: 1
  .parseAsync();
process.exit(code);
