// Validation rules that bound what one GraphQL document may ask for: nesting depth and total field
// selections (a simple complexity measure), so a crafted query cannot make the server do unbounded work.
import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

export const MAX_QUERY_DEPTH = 10;
export const MAX_QUERY_FIELDS = 300;

function measure(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, depth: number, seen: Set<string>): { depth: number; fields: number } {
  let maxDepth = depth;
  let fields = 0;
  for (const sel of set.selections) {
    let child: SelectionSetNode | undefined;
    if (sel.kind === Kind.FIELD) {
      fields++;
      child = sel.selectionSet;
      if (child) {
        const m = measure(child, fragments, depth + 1, seen);
        maxDepth = Math.max(maxDepth, m.depth);
        fields += m.fields;
      }
      continue;
    }
    if (sel.kind === Kind.INLINE_FRAGMENT) child = sel.selectionSet;
    else {
      const name = sel.name.value;
      if (seen.has(name)) continue; // fragment cycles are reported by graphql-js itself
      child = fragments.get(name)?.selectionSet;
      seen = new Set(seen).add(name);
    }
    if (child) {
      const m = measure(child, fragments, depth, seen);
      maxDepth = Math.max(maxDepth, m.depth);
      fields += m.fields;
    }
  }
  return { depth: maxDepth, fields };
}

export function queryLimitsRule(context: ValidationContext): ASTVisitor {
  const doc = context.getDocument();
  const fragments = new Map(
    doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  return {
    OperationDefinition(op) {
      const { depth, fields } = measure(op.selectionSet, fragments, 1, new Set());
      if (depth > MAX_QUERY_DEPTH) {
        context.reportError(new GraphQLError(`Query is nested ${depth} levels deep; at most ${MAX_QUERY_DEPTH} are allowed`, { nodes: [op], extensions: { code: 'BAD_USER_INPUT' } }));
      }
      if (fields > MAX_QUERY_FIELDS) {
        context.reportError(new GraphQLError(`Query selects ${fields} fields; at most ${MAX_QUERY_FIELDS} are allowed`, { nodes: [op], extensions: { code: 'BAD_USER_INPUT' } }));
      }
    },
  };
}
