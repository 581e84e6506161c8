// Human sentences for ScoredItem.reasons: which model placed an item, and why in a shopper's words.
import { EVENT_TYPES } from '../../ml/interactions';

const VERBS: Record<string, string> = {
  VIEW: 'viewed',
  CLICK: 'viewed',
  ADD_TO_CART: 'added',
  PURCHASE: 'bought',
  RATING: 'rated',
  BOOKMARK: 'saved',
};

export interface ExplanationInput {
  source: string;
  /** The history item that contributed most, with its event type code, when known. */
  anchor?: { title: string; type: number };
  category?: string | null;
  /** The search behind a search result or a current-intent boost. */
  query?: string;
  /** The request context that placed the item ("on mobile on weekday evenings"). */
  contextPhrase?: string;
}

export function explain({ source, anchor, category, query, contextPhrase }: ExplanationInput): string {
  switch (source) {
    case 'itemknn':
      return anchor
        ? `Because you ${VERBS[EVENT_TYPES[anchor.type]] ?? 'viewed'} ${anchor.title}`
        : 'Often bought together with items you viewed';
    case 'seq':
      return anchor ? `Often next after ${anchor.title}` : 'Fits what you are looking at right now';
    case 'mf':
      return 'Matches your taste';
    case 'content':
      return anchor ? `Similar to ${anchor.title}` : 'Similar to items you liked';
    case 'pop':
      return category ? `Popular in ${category} this week` : 'Popular this week';
    case 'context':
      return contextPhrase ? `Popular ${contextPhrase}` : 'Popular at this time of day';
    case 'search':
      return query ? `Matches your search '${query}'` : 'Matches your search';
    case 'intent':
      return query ? `Related to your search '${query}'` : 'Related to what you searched for';
    case 'bundle':
      return anchor ? `Often bought together with ${anchor.title}` : 'Often bought together';
    case 'cart':
      return anchor ? `Goes with ${anchor.title} in your cart` : 'Goes with your cart';
    case 'rule':
      return 'Featured by the shop';
    default:
      return `Recommended by ${source}`;
  }
}
