// The DDEX ERN reader: readDdexMessage and the model it reads messages into.
export { readDdexMessage, type ReaderSafety } from './reader.js';
export type { DdexReadOptions } from './state.js';
export type * from './model.js';
