// docs/feeds.md "Displayed titles" and compliance rule 3: explicit content says so, once, at the end.
const EXPLICIT_MARK = /\s*\(explicit\)\s*/gi;

export function displayTitle(title: string, version: string | null | undefined, explicit: boolean | null | undefined): string {
  const cleanTitle = title.replace(EXPLICIT_MARK, ' ').trim();
  const cleanVersion = (version ?? '').replace(EXPLICIT_MARK, ' ').replace(/\s+/g, ' ').trim();
  let shown = cleanVersion ? `${cleanTitle} (${cleanVersion})` : cleanTitle;
  if (explicit) shown += ' (Explicit)';
  return shown;
}
