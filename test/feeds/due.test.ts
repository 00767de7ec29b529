// Due dates as pure arithmetic over a cursor and a clock.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseDayFields, planFeed, type PlanInput } from '../../src/feeds/due.js';

const base = (overrides: Partial<PlanInput>): PlanInput => ({
  feed: { entity: 'track', kind: 'updates', country: 'GB' },
  cursor: undefined,
  startDate: undefined,
  missing: new Set(),
  now: new Date('2026-11-20T07:00:00Z'),
  publicationHour: 6,
  fullFeedDays: parseDayFields('* * 1'),
  maxBacklogDays: 14,
  ...overrides,
});

describe('parseDayFields', () => {
  it('matches cron day fields, day-of-month OR day-of-week when both are restricted', () => {
    const mondays = parseDayFields('* * 1');
    expect(['2026-11-16', '2026-11-17', '2026-11-23'].map(mondays)).toEqual([true, false, true]);
    expect(parseDayFields('1 * *')('2026-12-01')).toBe(true);
    expect(parseDayFields('1 * *')('2026-12-02')).toBe(false);
    expect(parseDayFields('1,15 * 0')('2026-11-22')).toBe(true); // a Sunday
    expect(parseDayFields('* * 7')('2026-11-22')).toBe(true);
    expect(parseDayFields('*/2 * *')('2026-11-03')).toBe(true);
    expect(() => parseDayFields('* *')).toThrow(UsageError);
    expect(() => parseDayFields('32 * *')).toThrow(/FEEDLINE_FULL_FEED_DAYS/);
  });
});

describe('planFeed', () => {
  it('starts at the latest published date without a cursor or start date', () => {
    expect(planFeed(base({})).pending).toEqual(['2026-11-20']);
    expect(planFeed(base({ now: new Date('2026-11-20T05:59:00Z') })).pending).toEqual(['2026-11-19']);
  });

  it('lists the days after the cursor in order, skipping missing ones', () => {
    const plan = planFeed(base({ cursor: '2026-11-16', missing: new Set(['2026-11-18']) }));
    expect(plan.pending).toEqual(['2026-11-17', '2026-11-19', '2026-11-20']);
    expect(plan.next).toBe('2026-11-17');
    expect(plan.nextDue).toBe('2026-11-21');
    expect(plan.nextDueAt.toISOString()).toBe('2026-11-21T06:00:00.000Z');
  });

  it('is due for full feeds only on full-feed days', () => {
    const plan = planFeed(base({ feed: { entity: 'track', kind: 'full', country: 'GB' }, cursor: '2026-11-02' }));
    expect(plan.pending).toEqual(['2026-11-09', '2026-11-16']);
    expect(plan.nextDue).toBe('2026-11-23');
  });

  it('stops and reports a backlog over maxBacklogDays', () => {
    const plan = planFeed(base({ cursor: '2026-11-01', maxBacklogDays: 14 }));
    expect(plan.backlogDays).toBe(19);
    expect(plan.overBacklog).toBe(true);
    expect(plan.next).toBeUndefined();
    expect(planFeed(base({ cursor: '2026-11-06', maxBacklogDays: 14 })).next).toBe('2026-11-07');
  });
});
