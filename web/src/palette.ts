// Colours that mean the same thing on every panel: one per event type, and arm A/B.

const EVENT_COLOURS: Record<string, string> = {
  VIEW: '#3b82f6',
  CLICK: '#8b5cf6',
  ADD_TO_CART: '#f59e0b',
  PURCHASE: '#10b981',
  REMOVE_FROM_CART: '#ef4444',
  BOOKMARK: '#ec4899',
  RATING: '#14b8a6',
  SEARCH: '#64748b',
};

export const TOTAL_COLOUR = '#0f172a';
export const ARM_COLOURS: Record<string, string> = { A: '#64748b', B: '#2563eb' };

export function eventColour(type: string): string {
  return EVENT_COLOURS[type] ?? '#94a3b8';
}
