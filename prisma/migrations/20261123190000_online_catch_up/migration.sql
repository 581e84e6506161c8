-- CreateTable
CREATE TABLE "stream_cursors" (
    "name" TEXT NOT NULL,
    "last_event_id" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stream_cursors_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "events_received_at_idx" ON "events"("received_at");
