// The gate's in-memory view of availability: each track's facts in every country, loaded
// from PostgreSQL on first use and dropped when a notification names the track or one of its
// releases, so a warm gate decides without a database round trip. Without a healthy
// notification channel (lost, or PGlite, which has none across processes) every decision
// reads PostgreSQL: never a stale answer.
import type { TrackFacts } from '../db/gate.js';
import { decide, type Decision } from './decision.js';
import type { ChangeListener, NotificationChannel } from './notifications.js';

const SEP = '\u001f';
/** A bound on memory: past this many tracks the view starts again empty. */
const DEFAULT_MAX_TRACKS = 2_000_000;

export type LoadFacts = (source: string, trackId: string) => Promise<TrackFacts | undefined>;

export interface AvailabilityView extends ChangeListener {
  decide(source: string, trackId: string, country: string, now: Date): Promise<Decision>;
  /** Set once the channel is open; until then, and while it is unhealthy, reads go to PostgreSQL. */
  attach(channel: NotificationChannel): void;
  /** Tracks held in memory. */
  size(): number;
  /** Whether decisions come from memory (the notification channel is flowing). */
  healthy(): boolean;
}

export function createAvailabilityView(load: LoadFacts, options: { maxTracks?: number } = {}): AvailabilityView {
  const maxTracks = options.maxTracks ?? DEFAULT_MAX_TRACKS;
  const tracks = new Map<string, TrackFacts | null>();
  const tracksByRelease = new Map<string, Set<string>>();
  const loading = new Map<string, Promise<TrackFacts | undefined>>();
  let channel: NotificationChannel | undefined;
  // Bumped by every invalidation: a load that overlapped one may hold the old state, so it is
  // used for its own request but not kept.
  let epoch = 0;

  const forgetAll = () => {
    epoch++;
    tracks.clear();
    tracksByRelease.clear();
  };

  const remember = (key: string, source: string, facts: TrackFacts | undefined) => {
    if (tracks.size >= maxTracks) forgetAll();
    tracks.set(key, facts ?? null);
    for (const releaseId of facts?.releases.keys() ?? []) {
      const releaseKey = `${source}${SEP}${releaseId}`;
      let set = tracksByRelease.get(releaseKey);
      if (!set) tracksByRelease.set(releaseKey, (set = new Set()));
      set.add(key);
    }
  };

  const loadShared = (key: string, source: string, trackId: string): Promise<TrackFacts | undefined> => {
    let pending = loading.get(key);
    if (!pending) {
      const startedAt = epoch;
      pending = load(source, trackId).then((facts) => {
        if (epoch === startedAt && channel?.healthy()) remember(key, source, facts);
        return facts;
      }).finally(() => loading.delete(key));
      loading.set(key, pending);
    }
    return pending;
  };

  return {
    async decide(source, trackId, country, now) {
      if (!channel?.healthy()) return decide(await load(source, trackId), country, now);
      const key = `${source}${SEP}${trackId}`;
      const cached = tracks.get(key);
      if (cached !== undefined) return decide(cached ?? undefined, country, now);
      return decide(await loadShared(key, source, trackId), country, now);
    },
    attach(opened) {
      channel = opened;
    },
    size: () => tracks.size,
    healthy: () => channel?.healthy() ?? false,
    onChange(keys) {
      epoch++;
      for (const line of keys) {
        if (line === '*') {
          forgetAll();
          return;
        }
        const [entity, source, id] = line.split(SEP);
        const key = `${source}${SEP}${id}`;
        if (entity === 'track') tracks.delete(key);
        else if (entity === 'release') {
          for (const trackKey of tracksByRelease.get(key) ?? []) tracks.delete(trackKey);
          tracksByRelease.delete(key);
        }
      }
    },
    onReset: forgetAll,
  };
}
