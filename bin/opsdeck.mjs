#!/usr/bin/env node
// The `opsdeck` command: runs the TypeScript CLI through tsx, so no build step stands between a
// checkout and a working command.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli.ts');
process.exitCode = await main(process.argv.slice(2));
