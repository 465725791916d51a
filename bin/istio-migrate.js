#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-old-space-size=192 --max-semi-space-size=4
// The published entry point: runs the compiled CLI (built by `npm ci` through the prepare script). Run from the shell
// (`istio-migrate …`, `npx istio-migrate …`), the line above gives it the container image's memory settings (a
// 10,000-runtime wave then stays within 256 MB; `env -S` needs GNU coreutils ≥ 8.30 or BSD env). `node
// bin/istio-migrate.js` skips that line: the image sets the same through NODE_OPTIONS.
import { run } from '../dist/src/main.js';

run();
