#!/usr/bin/env node
// Entry point of the `gatewatch` CLI. The code base is TypeScript run through tsx's loader,
// so there is no build step between a clone and a running service.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../services/cli/main.ts');
await main(process.argv);
