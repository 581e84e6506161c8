-- Search, merchandising rules and query suggestions (issue #6).

-- Trigram similarity: typo-tolerant matching of titles and prefix matching of past queries.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateEnum
CREATE TYPE "RuleAction" AS ENUM ('BOOST', 'BURY', 'PIN');

-- A generated column may only call IMMUTABLE functions and array_to_string is only STABLE; joining text with
-- spaces does not depend on any setting, so this wrapper is safely immutable.
CREATE FUNCTION "freshrec_tags_text"(tags TEXT[]) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_to_string(tags, ' ') $$;

-- AlterTable: the weighted full-text document of an item, kept current by Postgres on every write.
-- Title weighs A; tags, brand and category B; description C.
ALTER TABLE "items" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce("title", '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce("freshrec_tags_text"("tags"), '') || ' ' || coalesce("brand", '') || ' ' || coalesce("category", '')), 'B') ||
    setweight(to_tsvector('english'::regconfig, coalesce("description", '')), 'C')
) STORED;

-- CreateTable
CREATE TABLE "rules" (
    "id" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "action" "RuleAction" NOT NULL,
    "factor" DOUBLE PRECISION,
    "position" INTEGER,
    "categories" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "brands" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "item_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "min_price" DOUBLE PRECISION,
    "max_price" DOUBLE PRECISION,
    "surfaces" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "name" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "search_queries" (
    "query" TEXT NOT NULL,
    "searches" INTEGER NOT NULL DEFAULT 0,
    "results" INTEGER NOT NULL DEFAULT 0,
    "last_searched_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "search_queries_pkey" PRIMARY KEY ("query")
);

-- CreateIndex
CREATE INDEX "items_search_vector_idx" ON "items" USING GIN ("search_vector");

-- CreateIndex
CREATE INDEX "items_title_trgm_idx" ON "items" USING GIN ("title" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "search_queries_query_trgm_idx" ON "search_queries" USING GIN ("query" gin_trgm_ops);
