/** Moved to src/text/words.ts (shared below commands and chat); this re-export keeps chat's imports working. */
export { count, duration, seconds, waveStateWords } from '../text/words.js';
