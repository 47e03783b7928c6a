#!/usr/bin/env node
// `npm run bench`: the benchmarks in bench/ (see bench/index.ts), run through tsx like the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../bench/index.ts');
