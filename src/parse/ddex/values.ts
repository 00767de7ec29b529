// Small readers of DDEX text values (dates, durations, territory codes) and attribute lookup.
import type { QualifiedAttribute } from 'sax';
import { timestampProblem } from '../../catalogue/storable.js';

const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const DATE_ONLY = /^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;
const DAY_MS = 86_400_000;

export function attribute(attributes: Record<string, QualifiedAttribute>, local: string): string | undefined {
  for (const key in attributes) if (attributes[key]!.local === local) return attributes[key]!.value;
  return undefined;
}

/**
 * A copy of the text that holds nothing else. sax hands out slices of the input chunk, and V8
 * keeps a whole chunk alive for as long as any slice of it is kept: storing those slices
 * would hold the entire document in memory.
 */
export function detached(text: string): string {
  return (` ${text}`).slice(1);
}

export function territoryCode(text: string): string {
  return text === 'Worldwide' ? text : text.toUpperCase();
}

export function addOnce(list: string[], value: string): void {
  if (value && !list.includes(value)) list.push(value);
}

export function rejectionNote(rejected: string[]): string {
  return rejected.length > 0 ? ` (${rejected.join('; ')})` : '';
}

/** The object without its undefined properties, so optional fields are absent rather than undefined. */
export function definedOnly<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** ISO 8601 duration (PT3M45S, PT1H2M21S) to whole seconds. */
export function durationSeconds(text: string): number | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, days, hours, minutes, seconds] = m;
  return Math.round(Number(days ?? 0) * 86_400 + Number(hours ?? 0) * 3_600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0));
}

/**
 * xs:dateTime; one without a zone is read as UTC. Which dates exist is the database's rule
 * (src/catalogue/storable.ts): Date.parse rolls 2026-02-30 over to March and takes year 0.
 */
export function dateTime(text: string): Date | undefined {
  const m = DATE_TIME.exec(text);
  if (!m || timestampProblem(text) !== undefined) return undefined;
  const ms = Date.parse(m[1] ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * A ValidityPeriod bound as an instant. Dates carry no time zone and are read as UTC days,
 * one policy for every territory (a DE deal ends at midnight UTC, not Berlin's). A StartDate
 * starts at the first instant of its day; an EndDate is the deal's last day, so the deal ends
 * at the first instant of the next day, when a deal starting that day takes over without a
 * gap. Date-times are instants already: EndDateTime is the moment the deal stops.
 */
export function dealInstant(text: string, edge: 'start' | 'end'): Date | undefined {
  const day = DATE_ONLY.exec(text);
  if (!day) return dateTime(text);
  const [, yyyyMmDd, zone] = day;
  if (!yyyyMmDd || timestampProblem(yyyyMmDd) !== undefined) return undefined;
  const start = Date.parse(`${yyyyMmDd}T00:00:00${zone ?? 'Z'}`);
  return new Date(edge === 'start' ? start : start + DAY_MS);
}
