/**
 * The simulated shoots' Gardener maintenance windows (`spec.maintenance.timeWindow`): one hour a day, beginning on
 * any full hour of the day (so a landscape's windows span 24 h; 23:00 → 00:00 crosses midnight), fixed by the runtime
 * id, which the landscape's seed fixes. Written in UTC (`+0000`), as Gardener defaults them.
 */
import { stableHash } from './random.js';

const pad = (n: number) => String(n).padStart(2, '0');

export function maintenanceWindow(runtimeId: string): { begin: string; end: string } {
  const hour = stableHash(`${runtimeId}/maintenance`) % 24;
  return { begin: `${pad(hour)}0000+0000`, end: `${pad((hour + 1) % 24)}0000+0000` };
}
