// How writeRunTerritories (src/db/ddex.ts) sends its rows: territory columns as arrays, each
// item's metadata once.

/** A territory row as writeRunTerritories takes it (its TerritoryInput). */
interface TerritoryInput {
  id: string;
  country: string;
  status: string;
  reason: string | null;
  runId: number;
  version: string;
  raw?: unknown;
  [column: string]: unknown;
}

/**
 * An item's metadata (raw and columns) goes to PostgreSQL once, not once per territory: a
 * release's rows in many territories carry one object (territoryRows), and parsing the copies
 * was most of a large write's time. Rows whose metadata only looks alike are sent apart.
 */
export function shareMetadata(rows: readonly TerritoryInput[], columns: readonly string[]) {
  // Column arrays, not JSON records: PostgreSQL reads them several times faster.
  const territories = { id: [] as string[], country: [] as string[], status: [] as string[], reason: [] as (string | null)[], runId: [] as number[], version: [] as string[], meta: [] as number[] };
  const metadatas: Record<string, unknown>[] = [];
  const byRaw = new Map<unknown, number[]>();
  const sameMetadata = (meta: Record<string, unknown>, row: TerritoryInput) => columns.every((c) => meta[c] === row[c]);
  for (const row of rows) {
    const candidates = byRaw.get(row.raw) ?? [];
    let meta = candidates.find((index) => sameMetadata(metadatas[index]!, row));
    if (meta === undefined) {
      meta = metadatas.length;
      metadatas.push({ meta, raw: row.raw, ...Object.fromEntries(columns.map((c) => [c, row[c]])) });
      byRaw.set(row.raw, [...candidates, meta]);
    }
    territories.id.push(row.id);
    territories.country.push(row.country);
    territories.status.push(row.status);
    territories.reason.push(row.reason);
    territories.runId.push(row.runId);
    territories.version.push(row.version);
    territories.meta.push(meta);
  }
  return { territories, metadatas };
}
