// Metadata that recordings and releases share: titles, display artists and parental warnings,
// each ranked by kind and by the territory it applies to (worldwide beats one territory's).
import { DETAILS_BY_TERRITORY, ITEM_ELEMENTS, ONE_TERRITORY_RANK, WORLDWIDE_RANK, type ErnState, type HandlerTable } from './state.js';
import { addOnce, attribute } from './values.js';

/** Later entries lose: a display title beats a formal one, which beats the reference title. */
const TITLE_KIND_RANK = { display: 0, other: 1, reference: 2, displayTitleText: 3 } as const;

const territoryBlock = {
  open(state: ErnState) {
    state.blockRank = ONE_TERRITORY_RANK;
  },
};

/** Read before the block's metadata: ERN 3 lists a block's territories first. */
function blockTerritory(excluded: boolean) {
  return {
    close(state: ErnState, text: string) {
      if (DETAILS_BY_TERRITORY.has(state.parent(1)) && (excluded || text === 'Worldwide')) state.blockRank = WORLDWIDE_RANK;
    },
  };
}

const title = {
  open(state: ErnState) {
    const draft = state.item();
    const parent = state.parent(1);
    if (!draft || !(ITEM_ELEMENTS.has(parent) || DETAILS_BY_TERRITORY.has(parent))) return;
    const local = state.parent(0);
    const kind = local === 'ReferenceTitle' ? TITLE_KIND_RANK.reference
      : local === 'DisplayTitle' || attribute(state.attributes, 'TitleType') === 'DisplayTitle' ? TITLE_KIND_RANK.display
        : TITLE_KIND_RANK.other;
    state.title = { draft, element: state.stack.length, rank: kind * 2 + state.territoryRank() };
  },
  close(state: ErnState) {
    if (state.title && state.title.element === state.stack.length) {
      const { draft, rank, title: text, version } = state.title;
      if (text) draft.title.offer({ title: text, ...(version ? { version } : {}) }, rank);
      state.title = undefined;
    }
  },
};

/** Whether the element on top is a direct part of the title element being read. */
function inTitle(state: ErnState): boolean {
  return state.title !== undefined && state.title.element === state.stack.length - 1;
}

export const itemFieldHandlers: HandlerTable = {
  ReleaseDetailsByTerritory: territoryBlock,
  SoundRecordingDetailsByTerritory: territoryBlock,
  TerritoryCode: blockTerritory(false),
  ExcludedTerritoryCode: blockTerritory(true),
  Title: title,
  ReferenceTitle: title,
  DisplayTitle: title,
  TitleText: {
    close(state, text) {
      if (inTitle(state)) state.title!.title ??= text;
    },
  },
  SubTitle: {
    close(state, text) {
      if (inTitle(state)) state.title!.version ??= text;
    },
  },
  DisplayTitleText: {
    close(state, text) {
      const item = state.item();
      if (item && ITEM_ELEMENTS.has(state.parent(1))) item.title.offer({ title: text }, TITLE_KIND_RANK.displayTitleText * 2 + state.territoryRank());
    },
  },
  DisplayArtistName: {
    close(state, text) {
      const item = state.item();
      if (item && state.isItemField()) item.displayArtist.offer(text, state.territoryRank());
    },
  },
  FullName: {
    close(state, text) {
      const item = state.item();
      if (item && state.parent(2) === 'DisplayArtist') addOnce(item.artistNames, text);
    },
  },
  ArtistPartyReference: {
    close(state, text) {
      const item = state.item();
      if (item && state.parent(1) === 'DisplayArtist') addOnce(item.artistReferences, text);
    },
  },
  ParentalWarningType: {
    close(state, text) {
      const item = state.item();
      if (item && state.isItemField()) item.parentalWarning.offer(text, state.territoryRank());
    },
  },
};
