// The DealList: each ReleaseDeal's terms (use and commercial model, territories, validity
// periods, takedown, distribution channels), checked, deduplicated and filed by release.
import type { DdexDeal } from '../../catalogue/ddex.js';
import type { DealDraft, ReleaseDealDraft } from './drafts.js';
import type { ElementHandler, ErnState, HandlerTable } from './state.js';
import { textProblem } from '../../catalogue/storable.js';
import { dealProblem, forOtherChannels } from './validity.js';
import { dealInstant, territoryCode } from './values.js';

/**
 * A field of the deal being read, filed when its element sits where `parent` says. Deal terms
 * are stored (territories as catalogue rows, the rest as JSON): one PostgreSQL cannot hold
 * makes the deal invalid.
 */
function dealField(read: (deal: DealDraft, text: string, state: ErnState) => void, parents: readonly string[] = ['DealTerms']): ElementHandler {
  return {
    close(state, text) {
      if (!state.deal || !parents.includes(state.parent(1))) return;
      const problem = textProblem(text);
      if (problem === undefined) read(state.deal, text, state);
      else state.deal.invalid ??= `${state.parent(0)} ${JSON.stringify(text)} ${problem}`;
    },
  };
}

const periodBound = dealField((deal, text, state) => {
  if (!state.period) return;
  const local = state.parent(0);
  const edge = local.startsWith('Start') ? 'start' : 'end';
  const instant = dealInstant(text, edge);
  if (!instant) deal.invalid ??= `${local} ${JSON.stringify(text)} is not an ISO date or date-time`;
  else if (edge === 'start') state.period.validFrom = instant;
  else state.period.validUntil = instant;
}, ['ValidityPeriod']);

const takeDown = dealField((deal, text) => {
  if (text === 'true') deal.takeDown = true;
});

export const dealHandlers: HandlerTable = {
  ReleaseDeal: {
    open(state) {
      if (state.parent(1) === 'DealList') state.releaseDeal = { references: [], deals: [], invalid: undefined };
    },
    close(state) {
      if (state.releaseDeal) finishReleaseDeal(state, state.releaseDeal);
    },
  },
  DealReleaseReference: {
    close(state, text) {
      if (state.releaseDeal && state.parent(1) === 'ReleaseDeal') state.releaseDeal.references.push(text);
    },
  },
  Deal: {
    open(state) {
      if (state.releaseDeal && state.parent(1) === 'ReleaseDeal') {
        state.deal = { useTypes: [], commercialModelTypes: [], included: [], excluded: [], periods: [], takeDown: false, channels: [], invalid: undefined };
      }
    },
    close(state) {
      if (!state.deal) return;
      finishDeal(state, state.deal);
      state.deal = undefined;
    },
  },
  ValidityPeriod: {
    open(state) {
      if (state.deal && state.parent(1) === 'DealTerms') state.period = {};
    },
    close(state) {
      if (state.deal && state.period) state.deal.periods.push(state.period);
      state.period = undefined;
    },
  },
  CommercialModelType: dealField((deal, text) => deal.commercialModelTypes.push(text)),
  UseType: dealField((deal, text) => deal.useTypes.push(text), ['Usage', 'DealTerms']),
  TerritoryCode: dealField((deal, text) => deal.included.push(territoryCode(text))),
  ExcludedTerritoryCode: dealField((deal, text) => deal.excluded.push(territoryCode(text))),
  TakeDown: takeDown,
  AllDealsCancelled: takeDown,
  StartDate: periodBound,
  StartDateTime: periodBound,
  EndDate: periodBound,
  EndDateTime: periodBound,
  PartyId: {
    close(state, text) {
      if (state.parent(1) === 'DistributionChannel' && state.parent(2) === 'DealTerms') state.deal?.channels.push(text);
    },
  },
};

function finishDeal(state: ErnState, draft: DealDraft): void {
  const releaseDeal = state.releaseDeal!;
  draft.invalid ??= dealProblem(draft);
  if (draft.invalid) {
    releaseDeal.invalid ??= draft.invalid;
    return;
  }
  const territories = draft.included.length > 0 ? { kind: 'included' as const, codes: draft.included } : { kind: 'excluded' as const, codes: draft.excluded };
  const periods = draft.periods.length > 0 ? draft.periods : [{}];
  for (const period of periods) {
    const deal: DdexDeal = {
      useTypes: draft.useTypes, commercialModelTypes: draft.commercialModelTypes, territories, ...period, takeDown: draft.takeDown,
      ...(forOtherChannels(draft.channels, state.options.recipientPartyId ?? state.header.recipientPartyId) ? { otherChannels: true } : {}),
    };
    const key = JSON.stringify(deal);
    const shared = state.dealsByTerms.get(key) ?? structuredClone(deal);
    state.dealsByTerms.set(key, shared);
    releaseDeal.deals.push(shared);
  }
}

function finishReleaseDeal(state: ErnState, releaseDeal: ReleaseDealDraft): void {
  for (const ref of releaseDeal.references) {
    if (releaseDeal.invalid) state.invalidDealByRelease.set(ref, releaseDeal.invalid);
    state.dealsByRelease.set(ref, (state.dealsByRelease.get(ref) ?? []).concat(releaseDeal.deals));
  }
  state.releaseDeal = undefined;
}
