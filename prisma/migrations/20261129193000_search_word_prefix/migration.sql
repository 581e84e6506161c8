-- Search latency: the typo correction asks whether a lexicon word starts with the last query word. The trigram
-- index answered that LIKE in about 1.5 ms (short prefixes share posting lists with most of the lexicon); a
-- byte-order btree answers the same range in a few microseconds.

-- CreateIndex
CREATE INDEX "search_words_word_prefix_idx" ON "search_words" ("word" text_pattern_ops);
