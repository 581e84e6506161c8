// A merchandising rule (boost, bury or pin) and its validation. A rule set is validated as a whole before
// anything is stored, so a bad rule anywhere in it stores nothing.
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../../errors';
import { LIMITS, checkId, checkNumber, checkText } from '../inputLimits';

export const RULE_ACTIONS = ['BOOST', 'BURY', 'PIN'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

/** Where a rule applies; a rule naming no surface applies to all of them. */
export const RULE_SURFACES = ['RECOMMENDATIONS', 'SIMILAR_ITEMS', 'SEARCH', 'TRENDING', 'BUNDLES'] as const;
export type RuleSurface = (typeof RULE_SURFACES)[number];

export interface RuleInput {
  id?: string | null;
  name?: string | null;
  action: string;
  factor?: number | null;
  position?: number | null;
  categories?: string[] | null;
  brands?: string[] | null;
  tags?: string[] | null;
  itemIds?: string[] | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  surfaces?: string[] | null;
}

export interface Rule {
  id: string;
  name: string | null;
  action: RuleAction;
  /** BOOST (> 1) and BURY (0..1) multiply the score of matching items; null for PIN. */
  factor: number | null;
  /** PIN: 1-based position of the first pinned item; the others follow it. */
  position: number | null;
  categories: string[];
  brands: string[];
  tags: string[];
  itemIds: string[];
  minPrice: number | null;
  maxPrice: number | null;
  surfaces: RuleSurface[];
  createdAt: Date;
}

export const RULE_LIMITS = Object.freeze({ rules: 500, listEntries: 100, pinnedItems: 50, maxBoost: 100 });

function checkList(values: string[] | null | undefined, field: string, check: (v: unknown, f: string) => string): string[] {
  if (!values) return [];
  if (values.length > RULE_LIMITS.listEntries) throw new InvalidInputError(`${field} holds more than ${RULE_LIMITS.listEntries} entries`, { field });
  return [...new Set(values.map((v, j) => check(v, `${field}[${j}]`)))];
}

const nonEmptyText = (v: unknown, field: string): string => {
  const text = checkText(v, field, LIMITS.titleLength);
  if (!text) throw new InvalidInputError(`${field} must not be empty`, { field });
  return text;
};

function validateRule(input: RuleInput, index: number, now: Date): Rule {
  const at = `rules[${index}]`;
  const action = input.action as RuleAction;
  if (!RULE_ACTIONS.includes(action)) throw new InvalidInputError(`${at}.action must be one of ${RULE_ACTIONS.join(', ')}`, { field: `${at}.action` });
  const surfaces = (input.surfaces ?? []).map((s, j) => {
    if (!(RULE_SURFACES as readonly string[]).includes(s)) throw new InvalidInputError(`${at}.surfaces[${j}] must be one of ${RULE_SURFACES.join(', ')}`);
    return s as RuleSurface;
  });
  const rule: Rule = {
    id: input.id === null || input.id === undefined ? randomUUID() : checkId(input.id, `${at}.id`),
    name: checkText(input.name, `${at}.name`, LIMITS.titleLength),
    action,
    factor: checkNumber(input.factor, `${at}.factor`, { min: 0, max: RULE_LIMITS.maxBoost }),
    position: checkNumber(input.position, `${at}.position`, { min: 1, max: LIMITS.resultLimit }),
    categories: checkList(input.categories, `${at}.categories`, nonEmptyText),
    brands: checkList(input.brands, `${at}.brands`, nonEmptyText),
    tags: checkList(input.tags, `${at}.tags`, nonEmptyText),
    itemIds: checkList(input.itemIds, `${at}.itemIds`, checkId),
    minPrice: checkNumber(input.minPrice, `${at}.minPrice`, { min: 0 }),
    maxPrice: checkNumber(input.maxPrice, `${at}.maxPrice`, { min: 0 }),
    surfaces: [...new Set(surfaces)],
    createdAt: now,
  };
  if (rule.minPrice !== null && rule.maxPrice !== null && rule.minPrice > rule.maxPrice) {
    throw new InvalidInputError(`${at}.minPrice must not exceed ${at}.maxPrice`, { field: `${at}.minPrice` });
  }
  if (action === 'PIN') {
    if (!rule.itemIds.length) throw new InvalidInputError(`${at}: a PIN rule needs itemIds`, { field: `${at}.itemIds` });
    if (rule.itemIds.length > RULE_LIMITS.pinnedItems) throw new InvalidInputError(`${at}.itemIds: at most ${RULE_LIMITS.pinnedItems} items can be pinned by one rule`);
    if (rule.position === null || !Number.isInteger(rule.position)) throw new InvalidInputError(`${at}: a PIN rule needs an integer position (1 = first)`, { field: `${at}.position` });
    if (rule.factor !== null) throw new InvalidInputError(`${at}: a PIN rule takes no factor`, { field: `${at}.factor` });
    if (rule.categories.length || rule.brands.length || rule.tags.length || rule.minPrice !== null || rule.maxPrice !== null) {
      throw new InvalidInputError(`${at}: a PIN rule names its items by itemIds only`);
    }
    return rule;
  }
  if (rule.position !== null) throw new InvalidInputError(`${at}: only PIN rules take a position`, { field: `${at}.position` });
  if (rule.factor === null) throw new InvalidInputError(`${at}: a ${action} rule needs a factor`, { field: `${at}.factor` });
  if (action === 'BOOST' && !(rule.factor > 1)) throw new InvalidInputError(`${at}.factor of a BOOST rule must be greater than 1`, { field: `${at}.factor` });
  if (action === 'BURY' && !(rule.factor < 1)) throw new InvalidInputError(`${at}.factor of a BURY rule must be at least 0 and less than 1`, { field: `${at}.factor` });
  const conditions = rule.categories.length + rule.brands.length + rule.tags.length + rule.itemIds.length;
  if (!conditions && rule.minPrice === null && rule.maxPrice === null) {
    throw new InvalidInputError(`${at}: a ${action} rule needs a condition (categories, brands, tags, itemIds or a price band)`);
  }
  return rule;
}

/** Validates a whole rule set; throws BAD_USER_INPUT naming the first bad field. */
export function validateRules(inputs: RuleInput[], now = new Date()): Rule[] {
  if (inputs.length > RULE_LIMITS.rules) throw new InvalidInputError(`rules holds more than ${RULE_LIMITS.rules} rules`, { field: 'rules' });
  const rules = inputs.map((r, j) => validateRule(r, j, now));
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id)) throw new InvalidInputError(`rule id "${r.id}" appears twice`, { field: 'rules' });
    ids.add(r.id);
  }
  return rules;
}
