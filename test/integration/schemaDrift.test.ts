// prisma/schema.prisma (what the Prisma client believes) against the database the migrations build (what is true):
// every table and column the schema names (Unsupported(...) ones included) must exist with the same nullability
// and type, enums must hold the same values, and the migrations must add no table or column the schema lacks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { get_dmmf } from '@prisma/prisma-schema-wasm';

const SCHEMA_PATH = path.resolve(__dirname, '../../prisma/schema.prisma');

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType?: [string, string[]] | null;
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName?: string | null; values: { name: string; dbName?: string | null }[] }[];
  };
}

/** A column as both sides describe it: nullability plus information_schema's data_type and udt_name. */
interface Column {
  nullable: boolean;
  dataType: string;
  udtName: string;
}

type Tables = Map<string, Map<string, Column>>;

function readDmmf(schema: string): Dmmf {
  // get_dmmf takes the schema files as [path, content] pairs and throws a JSON error on an invalid schema.
  return JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schema]] }))) as Dmmf;
}

// Postgres types Prisma's defaults map to; @db.X native types override them.
const SCALAR_TYPES: Record<string, { dataType: string; udtName: string }> = {
  String: { dataType: 'text', udtName: 'text' },
  Int: { dataType: 'integer', udtName: 'int4' },
  BigInt: { dataType: 'bigint', udtName: 'int8' },
  Float: { dataType: 'double precision', udtName: 'float8' },
  Decimal: { dataType: 'numeric', udtName: 'numeric' },
  Boolean: { dataType: 'boolean', udtName: 'bool' },
  DateTime: { dataType: 'timestamp without time zone', udtName: 'timestamp' },
  Json: { dataType: 'jsonb', udtName: 'jsonb' },
  Bytes: { dataType: 'bytea', udtName: 'bytea' },
};

const NATIVE_TYPES: Record<string, { dataType: string; udtName: string }> = {
  Timestamptz: { dataType: 'timestamp with time zone', udtName: 'timestamptz' },
  Timestamp: { dataType: 'timestamp without time zone', udtName: 'timestamp' },
  Text: { dataType: 'text', udtName: 'text' },
  Uuid: { dataType: 'uuid', udtName: 'uuid' },
  Integer: { dataType: 'integer', udtName: 'int4' },
  BigInt: { dataType: 'bigint', udtName: 'int8' },
  DoublePrecision: { dataType: 'double precision', udtName: 'float8' },
  JsonB: { dataType: 'jsonb', udtName: 'jsonb' },
  Json: { dataType: 'json', udtName: 'json' },
  VarChar: { dataType: 'character varying', udtName: 'varchar' },
};

/**
 * Fields of type Unsupported("x") (a tsvector, say), which the DMMF leaves out: read from the schema text.
 * Keyed by model name; the column's type is x itself, as information_schema names it.
 */
function unsupportedFields(schema: string): Map<string, { column: string; type: string; nullable: boolean }[]> {
  const found = new Map<string, { column: string; type: string; nullable: boolean }[]>();
  for (const block of schema.matchAll(/^model\s+(\w+)\s*\{\n([\s\S]*?)^\}/gm)) {
    const fields = [...block[2].matchAll(/^\s*(\w+)\s+Unsupported\("([^"]+)"\)(\?)?([^\n]*)$/gm)].map((m) => ({
      column: /@map\("([^"]+)"\)/.exec(m[4])?.[1] ?? m[1],
      type: m[2],
      nullable: m[3] === '?',
    }));
    if (fields.length) found.set(block[1], fields);
  }
  return found;
}

/** The tables and columns the schema promises, in information_schema's terms. */
function expectedTables(dmmf: Dmmf, schema: string): Tables {
  const unsupported = unsupportedFields(schema);
  const enumDbName = new Map(dmmf.datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const tables: Tables = new Map();
  for (const model of dmmf.datamodel.models) {
    const columns = new Map<string, Column>();
    for (const field of model.fields) {
      if (field.kind !== 'scalar' && field.kind !== 'enum') continue; // relations live in other columns
      let base: { dataType: string; udtName: string };
      if (field.kind === 'enum') base = { dataType: 'USER-DEFINED', udtName: enumDbName.get(field.type) ?? field.type };
      else if (field.nativeType) base = NATIVE_TYPES[field.nativeType[0]] ?? { dataType: `?${field.nativeType[0]}`, udtName: '?' };
      else base = SCALAR_TYPES[field.type] ?? { dataType: `?${field.type}`, udtName: '?' };
      columns.set(field.dbName ?? field.name, {
        // Prisma never makes a list column NOT NULL, even for a required list.
        nullable: !field.isRequired || field.isList,
        dataType: field.isList ? 'ARRAY' : base.dataType,
        udtName: field.isList ? `_${base.udtName}` : base.udtName,
      });
    }
    for (const f of unsupported.get(model.name) ?? []) columns.set(f.column, { nullable: f.nullable, dataType: f.type, udtName: f.type });
    tables.set(model.dbName ?? model.name, columns);
  }
  return tables;
}

/** Every difference, phrased for a person fixing it; empty when schema and database agree. */
function drift(expected: Tables, actual: Tables): string[] {
  const problems: string[] = [];
  for (const [table, columns] of expected) {
    const found = actual.get(table);
    if (!found) {
      problems.push(`table "${table}" is in schema.prisma but no migration creates it`);
      continue;
    }
    for (const [column, want] of columns) {
      const got = found.get(column);
      if (!got) problems.push(`column "${table}.${column}" is in schema.prisma but not in the database`);
      else {
        if (got.nullable !== want.nullable) {
          problems.push(`column "${table}.${column}" is ${got.nullable ? 'NULL' : 'NOT NULL'} in the database but ${want.nullable ? 'optional' : 'required'} in schema.prisma`);
        }
        if (got.dataType !== want.dataType || got.udtName !== want.udtName) {
          problems.push(`column "${table}.${column}" is ${got.dataType} (${got.udtName}) in the database but ${want.dataType} (${want.udtName}) in schema.prisma`);
        }
      }
    }
    for (const column of found.keys()) {
      if (!columns.has(column)) problems.push(`column "${table}.${column}" exists in the database but not in schema.prisma`);
    }
  }
  for (const table of actual.keys()) {
    if (!expected.has(table)) problems.push(`table "${table}" exists in the database but not in schema.prisma`);
  }
  return problems;
}

async function databaseTables(client: Client): Promise<Tables> {
  const res = await client.query<{ table_name: string; column_name: string; is_nullable: string; data_type: string; udt_name: string }>(
    `SELECT c.table_name, c.column_name, c.is_nullable, c.data_type, c.udt_name
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> '_prisma_migrations'`,
  );
  const tables: Tables = new Map();
  for (const r of res.rows) {
    if (!tables.has(r.table_name)) tables.set(r.table_name, new Map());
    tables.get(r.table_name)!.set(r.column_name, { nullable: r.is_nullable === 'YES', dataType: r.data_type, udtName: r.udt_name });
  }
  return tables;
}

describe('schema.prisma and the migrated database', () => {
  const schema = readFileSync(SCHEMA_PATH, 'utf8');
  const dmmf = readDmmf(schema);
  let actual: Tables;
  let enums: { name: string; values: string[] }[];

  // Read once and disconnect: an idle client the server drops would otherwise raise an unhandled 'error'.
  beforeAll(async () => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      actual = await databaseTables(client);
      enums = (
        await client.query<{ name: string; values: string[] }>(
          `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
             FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE n.nspname = 'public' GROUP BY t.typname`,
        )
      ).rows;
    } finally {
      await client.end();
    }
  });

  it('agree on every table, column, type and nullability', () => {
    expect(dmmf.datamodel.models.length).toBeGreaterThan(0);
    expect(drift(expectedTables(dmmf, schema), actual)).toEqual([]);
  });

  it('agree on every enum and its values', () => {
    const inDatabase = Object.fromEntries(enums.map((r) => [r.name, r.values]));
    const inSchema = Object.fromEntries(dmmf.datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]));
    expect(inDatabase).toEqual(inSchema);
  });

  // The check above is only worth something if it can fail: feed it schemas that differ from the migrations.
  it.each([
    ['a new field', 'model Item {\n  id          String   @id', 'model Item {\n  id          String   @id\n  color String?'],
    ['a field made optional', '  title       String\n', '  title       String?\n'],
    ['a renamed column', '@map("in_stock")', '@map("is_in_stock")'],
    ['a changed type', '  value      Float?', '  value      Int?'],
    ['a renamed table', '@@map("impressions")', '@@map("impression")'],
    ['an unsupported-type column renamed', '@map("search_vector")', '@map("search_vec")'],
  ])('reports drift for %s', (_what, from, to) => {
    expect(schema).toContain(from);
    const changed = schema.replace(from, to);
    expect(drift(expectedTables(readDmmf(changed), changed), actual)).not.toEqual([]);
  });
});
