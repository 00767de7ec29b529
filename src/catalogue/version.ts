// Every change has a version; the newest wins (docs/design.md invariant 2). A version is one
// bigint ordering (feed effective time, feed kind, line in the file):
//
//   version = ((effectiveSeconds * 4 + kindRank) << 27) + line
//
// 27 bits of line allow files of 134 million records; 34 bits of seconds last past 2500.
// It exceeds 2^53, so it travels as bigint or decimal text, never as a JS number.

// `event`: the provider's Catalogue Events (src/events/version.ts maps their versions here).
const KIND_RANK = { full: 0n, updates: 1n, ddex: 2n, event: 3n } as const;
export type VersionKind = keyof typeof KIND_RANK;
export const MAX_LINE = 2 ** 27 - 1;

export function versionBase(effectiveAt: Date, kind: VersionKind): bigint {
  const seconds = BigInt(Math.floor(effectiveAt.getTime() / 1000));
  return (seconds * 4n + KIND_RANK[kind]) << 27n;
}

/** The parts of a version, for people reading `feedline get`. */
export function describeVersion(version: bigint): { effectiveAt: string; kind: VersionKind; line: number } {
  const line = Number(version & BigInt(MAX_LINE));
  const head = version >> 27n;
  const rank = head % 4n;
  const kind = (Object.keys(KIND_RANK) as VersionKind[]).find((k) => KIND_RANK[k] === rank) ?? 'updates';
  return { effectiveAt: new Date(Number(head / 4n) * 1000).toISOString(), kind, line };
}
