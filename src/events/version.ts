// One order for feed rows and events (README "Catalogue Events", the ordering rule). The
// provider's event `version` is the time of the change in epoch milliseconds, as its
// examples show; it maps into the catalogue's version order (src/catalogue/version.ts) at that
// second, after every feed row of the same second, with the milliseconds as the line:
//
//   change_version = versionBase(floor(version / 1000) s, 'event') + version mod 1000
//
// So a CSV row published after the event's time wins over it, and an event newer than a
// feed's publication wins over the feed's rows. The map is strictly increasing in `version`,
// so among events "larger is newer" holds whatever the numbers mean.
import { versionBase } from '../catalogue/version.js';

export function eventChangeVersion(version: bigint): bigint {
  return versionBase(new Date(Number(version / 1000n) * 1000), 'event') + (version % 1000n);
}
