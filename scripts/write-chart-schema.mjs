#!/usr/bin/env node
// Regenerates charts/istio-migrate-bot/values.schema.json from the config schema (run `npm run build` first).
import { writeFileSync } from 'node:fs';
import { chartValuesSchema } from '../dist/src/config/chart-schema.js';

writeFileSync(new URL('../charts/istio-migrate-bot/values.schema.json', import.meta.url), `${JSON.stringify(chartValuesSchema(), null, 2)}\n`);
