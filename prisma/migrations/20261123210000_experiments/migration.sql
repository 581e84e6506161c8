-- CreateTable
CREATE TABLE "experiments" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "share" DOUBLE PRECISION NOT NULL,
    "arm_a" JSONB NOT NULL,
    "arm_b" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stopped_at" TIMESTAMPTZ(3),

    CONSTRAINT "experiments_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "impressions" ADD COLUMN "experiment_id" TEXT,
ADD COLUMN "arm" TEXT;

-- CreateIndex
CREATE INDEX "experiments_status_idx" ON "experiments"("status");

-- CreateIndex
CREATE INDEX "impressions_experiment_id_arm_idx" ON "impressions"("experiment_id", "arm");
