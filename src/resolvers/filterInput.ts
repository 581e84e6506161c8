// Validates RecommendationFilter input (shared by every list-returning field).
import { InvalidInputError } from '../errors';
import { LIMITS, checkId, checkNumber, checkText } from '../domain/inputLimits';
import type { ItemFilter } from '../domain/recommendations/catalogIndex';

export function validateFilter(filter: ItemFilter | null | undefined): ItemFilter | null {
  if (!filter) return null;
  for (const key of ['categories', 'excludeCategories'] as const) {
    const list = filter[key];
    if (list && list.length > LIMITS.tagCount) throw new InvalidInputError(`filter.${key} holds more than ${LIMITS.tagCount} entries`);
    list?.forEach((c, j) => checkText(c, `filter.${key}[${j}]`, LIMITS.titleLength));
  }
  if (filter.excludeItemIds && filter.excludeItemIds.length > LIMITS.batchSize) {
    throw new InvalidInputError(`filter.excludeItemIds holds more than ${LIMITS.batchSize} ids`);
  }
  filter.excludeItemIds?.forEach((id, j) => checkId(id, `filter.excludeItemIds[${j}]`));
  const minPrice = checkNumber(filter.minPrice, 'filter.minPrice', { min: 0 });
  const maxPrice = checkNumber(filter.maxPrice, 'filter.maxPrice', { min: 0 });
  if (minPrice !== null && maxPrice !== null && minPrice > maxPrice) {
    throw new InvalidInputError('filter.minPrice must not exceed filter.maxPrice');
  }
  return filter;
}
