export * from './catalogue.js';
export * from './runs.js';
export * from './operations.js';
export * from './ddex.js';
export * from './gate.js';
export * from './events.js';
export * from './acks.js';
export * from './archive.js';
