// The search bench's generated world: a catalogue of adjective + material + noun titles, and a query mix of
// one-word, two-word, filtered, partial and misspelt searches (shared by searchBench and searchProfile).
import { randInt, type Rng } from '../ml/random';

export const ADJECTIVES = 'waterproof lightweight classic vintage organic wireless ergonomic compact premium rugged slim insulated heated foldable portable deluxe eco smart soft durable'.split(' ');
export const MATERIALS = 'leather cotton wool steel bamboo oak silicone nylon denim ceramic glass cashmere canvas titanium linen suede rubber walnut copper marble'.split(' ');
export const NOUNS =
  'boots jacket backpack tent lamp kettle knife skillet blender headphones speaker keyboard mouse chair desk sofa pillow blanket mug teapot scarf gloves sneakers sandals watch wallet belt umbrella bottle grinder toaster charger camera tripod drone puzzle robot kite helmet bicycle'.split(
    ' ',
  );
export const CATEGORIES = ['Outdoor', 'Kitchen', 'Electronics', 'Fashion', 'Home', 'Toys', 'Sports', 'Office', 'Garden', 'Beauty', 'Travel', 'Pets'];
const DESCRIPTION_WORDS = 'made for everyday use with a durable finish easy to clean designed to last comfortable fit great gift for home travel and outdoor adventures'.split(' ');

export interface BenchItem {
  id: string;
  title: string;
  description: string;
  category: string;
  brand: string;
  tags: string[];
  price: number;
  in_stock: boolean;
}

export function pick<T>(rng: Rng, xs: T[]): T {
  return xs[randInt(rng, xs.length)];
}

export function generateItems(n: number, rng: Rng): BenchItem[] {
  const brands = Array.from({ length: 300 }, (_, b) => `Brand${b.toString(36)}`);
  return Array.from({ length: n }, (_, i) => {
    const noun = pick(rng, NOUNS);
    const title = `${pick(rng, ADJECTIVES)} ${pick(rng, MATERIALS)} ${noun} ${i.toString(36)}`;
    const description = Array.from({ length: 12 }, () => pick(rng, DESCRIPTION_WORDS)).join(' ');
    return {
      id: `item-${i}`,
      title: title[0].toUpperCase() + title.slice(1),
      description,
      category: CATEGORIES[NOUNS.indexOf(noun) % CATEGORIES.length],
      brand: pick(rng, brands),
      tags: [pick(rng, ADJECTIVES), pick(rng, MATERIALS)],
      price: Math.round(5 + rng() * 500),
      in_stock: rng() > 0.05,
    };
  });
}

function misspell(word: string, rng: Rng): string {
  const k = 1 + randInt(rng, word.length - 2);
  return word.slice(0, k) + word.slice(k + 1);
}

/** One query of the mix: text, an optional filter, and which kind of query it is (for per-kind figures). */
export function generateQuery(rng: Rng): { text: string; filter?: Record<string, unknown>; kind: string } {
  const r = rng();
  if (r < 0.3) return { text: pick(rng, NOUNS), kind: 'noun' };
  if (r < 0.55) return { text: `${pick(rng, ADJECTIVES)} ${pick(rng, NOUNS)}`, kind: 'adjective noun' };
  if (r < 0.7) return { text: `${pick(rng, MATERIALS)} ${pick(rng, NOUNS)}`, kind: 'material noun' };
  if (r < 0.8) return { text: pick(rng, NOUNS), filter: { maxPrice: 50 * (2 + randInt(rng, 8)) }, kind: 'noun, price ceiling' };
  if (r < 0.9) return { text: pick(rng, NOUNS).slice(0, 4), kind: 'prefix' };
  return { text: `${pick(rng, ADJECTIVES)} ${misspell(pick(rng, NOUNS), rng)}`, kind: 'misspelt' };
}
