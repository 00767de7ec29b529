// The DDEX ERN reader: readDdexMessage, reading messages into src/catalogue/ddex.ts.
export { readDdexMessage, type ReaderSafety } from './reader.js';
export type { DdexReadOptions } from './state.js';
