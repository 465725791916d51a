/**
 * Deprecated: split into ids-and-states.ts and errors.ts. Kept only for src/chat/console/console-adapter.ts until
 * its import moves; nothing else imports it.
 */
export * from './ids-and-states.js';
export * from './errors.js';
