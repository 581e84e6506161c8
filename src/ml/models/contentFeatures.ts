// Turns item metadata into weighted hashed tokens for the content model: words and word pairs of the title,
// description words, tags, category path, brand and a log-scale price band, each field in its own namespace.
import type { ItemMeta } from '../interactions';

const STOPWORDS = new Set(
  'a an and are as at be by for from has in is it its of on or that the this to was were will with'.split(' '),
);
const MAX_DESCRIPTION_WORDS = 200;

/** 32-bit FNV-1a; the model masks it down to its hashing space. */
export function hashToken(token: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function words(text: string | null | undefined): string[] {
  if (!text) return [];
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1 && !STOPWORDS.has(w));
}

/** Price band on a half-octave log scale, so 9.99 and 11.50 share a band but 10 and 100 do not. */
export function priceBand(price: number): number {
  return Math.floor(2 * Math.log2(1 + Math.max(0, price)));
}

/** [hashed token, weight] pairs for one item; an item with no usable metadata gets its id as its only token. */
export function itemFeatures(meta: ItemMeta): [number, number][] {
  const out: [number, number][] = [];
  const add = (token: string, weight: number) => out.push([hashToken(token), weight]);
  const titleWords = meta.title === meta.id ? [] : words(meta.title);
  for (const w of titleWords) add(`t:${w}`, 1);
  for (let i = 1; i < titleWords.length; i++) add(`tt:${titleWords[i - 1]}_${titleWords[i]}`, 0.5);
  for (const w of words(meta.description).slice(0, MAX_DESCRIPTION_WORDS)) add(`d:${w}`, 0.5);
  for (const tag of meta.tags ?? []) {
    const t = tag.trim().toLowerCase();
    if (t) add(`g:${t}`, 1);
  }
  if (meta.category) {
    // Hierarchical categories ("Beauty > Skin > Face") also match on their ancestors.
    const parts = meta.category.split(/\s*[>/|]\s*/).filter((p) => p.length > 0);
    let path = '';
    for (const part of parts) {
      path = path ? `${path}>${part.toLowerCase()}` : part.toLowerCase();
      add(`c:${path}`, 1);
    }
  }
  if (meta.brand) add(`b:${meta.brand.trim().toLowerCase()}`, 1);
  if (meta.price !== null && meta.price !== undefined && Number.isFinite(meta.price)) add(`p:${priceBand(meta.price)}`, 0.5);
  if (out.length === 0) add(`id:${meta.id}`, 1);
  return out;
}
