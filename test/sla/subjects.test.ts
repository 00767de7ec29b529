// Alert subjects are built and read back in one module: every subject built parses back to
// what it is about, and the SLA rule is the same wherever the page or the report applies it.
import { describe, expect, it } from 'vitest';
import { withinWindow } from '../../src/sla/deadlines.js';
import { alertFeed, alertSubject, feedLabel, parseFeedLabel, parseSubject } from '../../src/sla/subjects.js';

const feed = { entity: 'track', kind: 'delta', country: 'GB' };

describe('alert subjects', () => {
  it('parses every run subject back to its kind and run, longest prefix first', () => {
    for (const about of ['runSla', 'rejected', 'batchFailed', 'quarantine', 'possibleTakedown', 'counts', 'reconcile'] as const) {
      expect(parseSubject(alertSubject[about](42))).toEqual({ about, runId: 42 });
    }
  });

  it('parses feed and plays subjects, and refuses what feedline does not build', () => {
    expect(parseSubject(alertSubject.missing(feed))).toEqual({ about: 'missing', feedSlug: 'track-delta-GB' });
    expect(parseSubject(alertSubject.auth(feed))).toEqual({ about: 'auth', feedSlug: 'track-delta-GB' });
    expect(parseSubject(alertSubject.backlog(feed))).toEqual({ about: 'backlog', feedSlug: 'track-delta-GB' });
    expect(parseSubject(alertSubject.playsRejected(7))).toEqual({ about: 'playsRejected', firstPlayId: 7 });
    expect(parseSubject('sla-run-x')).toBeUndefined();
    expect(parseSubject('something-else')).toBeUndefined();
  });

  it('reads the feed of an alert from its details, whichever way the alert names it', () => {
    expect(parseFeedLabel(feedLabel({ ...feed, feedDate: '2026-12-01' }))).toEqual({ ...feed, feedDate: '2026-12-01' });
    expect(alertFeed({ feed: feedLabel({ ...feed, feedDate: '2026-12-01' }), runId: 3 })).toEqual(feed);
    expect(alertFeed({ ...feed, dates: ['2026-12-01'] })).toEqual(feed);
    expect(alertFeed({ plays: [] })).toBeUndefined();
  });

  it('counts a change applied exactly at the deadline as within the window', () => {
    expect(withinWindow(24 * 3600, { windowHours: 24 })).toBe(true);
    expect(withinWindow(24 * 3600 + 1, { windowHours: 24 })).toBe(false);
  });
});
