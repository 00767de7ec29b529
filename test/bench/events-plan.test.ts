// The Catalogue Events benchmark's traffic has the shares the goals are measured with
// (docs/benchmarks.md "Catalogue Events at the peak") and bodies the receiver's schema accepts.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bodyOf, liveTerritories, nextRelease, planItems, planRequests } from '../../bench/events-plan.js';
import { validateBody } from '../../src/events/model.js';

const requests = planRequests(6000, 3_000_000);
const items = requests.flatMap((r) => r.items);
const share = (n: number, of: number) => Math.round((n / of) * 100) / 100;

describe('the Catalogue Events benchmark plan', () => {
  it('has as many requests as asked, a tenth gzip and every fifth with several items', () => {
    expect(requests).toHaveLength(6000);
    expect(share(requests.filter((r) => r.gzip).length, requests.length)).toBe(0.1);
    expect(share(requests.filter((r) => r.items.length > 1).length, requests.length)).toBe(0.2);
  });

  it('makes a twentieth of the items takedowns and a tenth older versions arriving after a newer one', () => {
    expect(share(items.filter((i) => i.takedown).length, items.length)).toBe(0.05);
    const newestSent = new Map<number, number>();
    let late = 0;
    for (const item of items) {
      if ((newestSent.get(item.releaseId) ?? 0) > item.version) late++;
      newestSent.set(item.releaseId, Math.max(newestSent.get(item.releaseId) ?? 0, item.version));
    }
    expect(share(late, items.length)).toBe(0.1);
  });

  it('sends bodies the receiver accepts: albums of 10 tracks streamable in about 10 territories', () => {
    for (const request of requests.slice(0, 200)) {
      const raw = bodyOf(request);
      const body = JSON.parse((request.gzip ? gunzipSync(raw) : raw).toString()) as Record<string, unknown>[];
      expect(validateBody('standard', body).ok).toBe(true);
      for (const item of body.filter((i) => !i.takedown)) {
        expect(item.tracks).toHaveLength(10);
        const streamed = (item.streamingAvailability as { territories: string[] }[]).flatMap((a) => a.territories);
        expect(streamed.length).toBeGreaterThanOrEqual(9);
        expect(item).toMatchObject({ upc: expect.any(String), label: { licensor: expect.any(Object) }, downloadAvailability: expect.any(Array) });
      }
    }
    expect(liveTerritories(1)).not.toEqual(liveTerritories(3));
  });

  it('plans a backlog of exactly the items asked, after the releases of the load', () => {
    const backlog = planItems(1234, nextRelease(requests)).flatMap((r) => r.items);
    expect(backlog).toHaveLength(1234);
    const loadReleases = new Set(items.map((i) => i.releaseId));
    expect(backlog.some((i) => loadReleases.has(i.releaseId))).toBe(false);
  });
});
