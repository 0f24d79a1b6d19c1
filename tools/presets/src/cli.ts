#!/usr/bin/env node
// presets: print the catalogs and plans. `npm run presets -- plan phi-3-mini-128k-instruct Standard_NC6s_v3`
import { main } from './commands.js';

const result = main(process.argv.slice(2));
if (result.out !== '') process.stdout.write(`${result.out}\n`);
if (result.err !== '') process.stderr.write(`${result.err}\n`);
process.exitCode = result.code;
