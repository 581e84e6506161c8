-- Tenant registry (multi-tenancy). Only the control database (DATABASE_URL) uses these rows: every tenant's data
-- lives in a database of its own, migrated from the same files, where this table simply stays empty.
CREATE TABLE "tenants" (
    "id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabled_at" TIMESTAMPTZ(3),

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- Keys issued before tenants existed belong to the one shop there was: the default tenant.
ALTER TABLE "api_keys" ADD COLUMN "tenant_id" TEXT NOT NULL DEFAULT 'default';

CREATE INDEX "api_keys_tenant_id_idx" ON "api_keys"("tenant_id");
