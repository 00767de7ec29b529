import { describe, expect, it } from 'vitest';
import { displayTitle } from '../../src/catalogue/display-title.js';

describe('displayTitle (FEEDS.md "Display titles")', () => {
  it('moves (Explicit) out of the version and says it once, at the end', () => {
    expect(displayTitle('Ride Wit Me', 'Album Version (Explicit)', true)).toBe('Ride Wit Me (Album Version) (Explicit)');
  });
  it('adds (Explicit) for explicit content without a version', () => {
    expect(displayTitle('Still Here', '', true)).toBe('Still Here (Explicit)');
  });
  it('shows the version in brackets for clean content', () => {
    expect(displayTitle('Rain, Again', 'Radio Edit', false)).toBe('Rain, Again (Radio Edit)');
  });
  it('drops a version that was only (Explicit)', () => {
    expect(displayTitle('Loud', '(Explicit)', true)).toBe('Loud (Explicit)');
  });
  it('never says (Explicit) for content not flagged explicit, even if the feed text did', () => {
    expect(displayTitle('Quiet (Explicit)', null, false)).toBe('Quiet');
  });
});
