// An in-memory stand-in for the one Prisma call CatalogIndex makes (paged and by-id item reads), so ranking can
// be built on a real CatalogIndex without services: unit tests, and the list micro-benchmark.
export function inMemoryCatalogue<R extends { id: string }>(rows: R[]) {
  // Pages are read in id order (`id > last`), as Postgres serves them.
  const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    item: {
      findMany: async (q: { where: { id: { gt?: string; in?: string[] } }; take?: number }) =>
        q.where.id.in ? sorted.filter((r) => q.where.id.in?.includes(r.id)) : sorted.filter((r) => r.id > (q.where.id.gt ?? '')).slice(0, q.take),
    },
  };
}
