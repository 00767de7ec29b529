// What makes a DDEX deal invalid, and whether a deal is for this service (README "Bad input",
// DDEX rows). Kept apart from the handlers that read the XML: these are the rules.

export interface DealShape {
  included: readonly string[];
  excluded: readonly string[];
  periods: readonly { validFrom?: Date; validUntil?: Date }[];
}

/** Why a deal is not a valid statement of terms; undefined when it is. Such a deal quarantines its release as `invalid_deal`. */
export function dealProblem(deal: DealShape): string | undefined {
  if (deal.included.length > 0 && deal.excluded.length > 0) return 'a deal lists both TerritoryCode and ExcludedTerritoryCode';
  if (deal.included.length === 0 && deal.excluded.length === 0) return 'a deal lists no territory';
  const backwards = deal.periods.find((p) => p.validFrom && p.validUntil && p.validUntil <= p.validFrom);
  if (backwards) return `a deal ends (${backwards.validUntil!.toISOString()}) before it starts (${backwards.validFrom!.toISOString()})`;
  return undefined;
}

/**
 * Whether a deal is limited to other services: it names DistributionChannel parties and this
 * service (FEEDLINE_DDEX_RECIPIENT_PARTY_ID, else the message's MessageRecipient) is not one
 * of them. Without a known recipient such a deal cannot be shown to be ours, so it is not.
 */
export function forOtherChannels(channels: readonly string[], recipientPartyId: string | undefined): boolean {
  return channels.length > 0 && (recipientPartyId === undefined || !channels.includes(recipientPartyId));
}
