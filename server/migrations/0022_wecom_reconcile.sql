-- WeCom backup channel (SPEC §2): full syncs and reconciliations mark every follow relation they see,
-- then close the ones of the walked staff they did not see (a missed del_* callback).
ALTER TABLE wecom_follows ADD COLUMN seen_at timestamptz;
ALTER TABLE wecom_follows DROP CONSTRAINT IF EXISTS wecom_follows_ended_by_check;
ALTER TABLE wecom_follows ADD CONSTRAINT wecom_follows_ended_by_check
  CHECK (ended_by IN ('staff_deleted', 'customer_deleted', 'transfer', 'reconciliation'));
ALTER TABLE wecom_groups ADD COLUMN seen_at timestamptz;
