-- The search lexicon: every word of the items' titles, tags, brands and categories, lower-cased and unstemmed.
-- A misspelt query word is corrected to its most trigram-similar entry (pg_trgm) before the full-text search.

-- CreateTable
CREATE TABLE "search_words" (
    "word" TEXT NOT NULL,

    CONSTRAINT "search_words_pkey" PRIMARY KEY ("word")
);

-- CreateIndex
CREATE INDEX "search_words_word_trgm_idx" ON "search_words" USING GIN ("word" gin_trgm_ops);

-- Words are only added (a word no item uses any more merely corrects to a query that finds nothing).
CREATE FUNCTION "freshrec_collect_search_words"() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO "search_words" ("word")
    SELECT DISTINCT w FROM new_items,
        unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
            coalesce(title, '') || ' ' || coalesce(brand, '') || ' ' || coalesce(category, '') || ' ' || coalesce("freshrec_tags_text"(tags), '')))) AS w
    WHERE length(w) BETWEEN 2 AND 40
    ON CONFLICT ("word") DO NOTHING;
    RETURN NULL;
END
$$;

-- A trigger with transition tables fires for one event only, hence two.
CREATE TRIGGER "items_search_words_insert" AFTER INSERT ON "items"
    REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION "freshrec_collect_search_words"();
CREATE TRIGGER "items_search_words_update" AFTER UPDATE ON "items"
    REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION "freshrec_collect_search_words"();

-- Backfill from the catalogue already stored.
INSERT INTO "search_words" ("word")
SELECT DISTINCT w FROM "items",
    unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
        coalesce(title, '') || ' ' || coalesce(brand, '') || ' ' || coalesce(category, '') || ' ' || coalesce("freshrec_tags_text"(tags), '')))) AS w
WHERE length(w) BETWEEN 2 AND 40
ON CONFLICT ("word") DO NOTHING;
