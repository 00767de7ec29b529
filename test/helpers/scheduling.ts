// Shared by the scheduler, reconcile, status and serve tests: feed bodies, a recording
// alerter, and a config pointing at a local feed server.
import { gzipSync } from 'node:zlib';
import type { Config, EnvName } from '../../src/config/schema.js';
import type { AlertInput, Alerter } from '../../src/sla/alerts.js';
import type { FeedServer } from './feed-server.js';
import { TRACK_HEADER, trackRecord } from './feeds.js';
import { testConfig } from './pipeline.js';

export const CREDS = { consumerKey: 'test-key', consumerSecret: 'test-secret' };

/** A gzip track updates feed of these records (see trackRecord). */
export function updatesBody(records: string[]): Buffer {
  return gzipSync(`action,${TRACK_HEADER}\n${records.map((r) => `${r}\n`).join('')}`);
}

/** A gzip track full feed listing these ids. */
export function fullBody(ids: number[]): Buffer {
  return gzipSync(`${TRACK_HEADER}\n${ids.map((id) => `${trackRecord(id)}\n`).join('')}`);
}

export interface RecordingAlerter extends Alerter {
  raised: AlertInput[];
  resolved: string[];
}

export function recordingAlerter(): RecordingAlerter {
  const open = new Map<string, string>();
  const raised: AlertInput[] = [];
  const resolved: string[] = [];
  return {
    raised,
    resolved,
    async raise(alert) {
      if (open.get(alert.subject) === alert.state) return false;
      open.set(alert.subject, alert.state);
      raised.push(alert);
      return true;
    },
    async resolve(subject) {
      if (!open.delete(subject)) return false;
      resolved.push(subject);
      return true;
    },
  };
}

export function providerConfig(server: FeedServer, overrides: Partial<Record<EnvName, string>> = {}): Config {
  return testConfig({
    FEEDLINE_PROVIDER_BASE_URL: server.url,
    FEEDLINE_OAUTH_CONSUMER_KEY: CREDS.consumerKey,
    FEEDLINE_OAUTH_CONSUMER_SECRET: CREDS.consumerSecret,
    FEEDLINE_CA_FILE: server.caFile!,
    FEEDLINE_FETCH_RETRIES: '3',
    FEEDLINE_FETCH_TIMEOUT_MS: '5000',
    FEEDLINE_PUBLICATION_HOUR: '6',
    FEEDLINE_GIVE_UP_HOURS: '6',
    FEEDLINE_FEEDS: 'track/updates',
    ...overrides,
  });
}

/** A clock the test moves. */
export function clock(start: string): { now: () => Date; set(at: string): void } {
  let current = new Date(start);
  return { now: () => current, set: (at) => void (current = new Date(at)) };
}
