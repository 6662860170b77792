-- Rows of other modules that name a customer follow merges (customer.merged subscribers of the
-- official-account, wecom and channels modules, from now on). Rows written before still name the
-- merged-away profile: they are moved to its surviving profile here, a chain followed to its end.
-- History rows (template sends, mass-message recipients, tag marks) keep the id they were made with.

-- "Everything merged into X" (lists by the survivor, owner lookups) without scanning the tenant.
CREATE INDEX customers_merged_into ON customers (tenant_id, merged_into) WHERE merged_into IS NOT NULL;
-- The subscribers move rows by customer id.
CREATE INDEX wecom_group_members_customer ON wecom_group_members (tenant_id, customer_id)
  WHERE customer_id IS NOT NULL;
CREATE INDEX oa_qr_events_customer ON oa_qr_events (tenant_id, customer_id) WHERE customer_id IS NOT NULL;

CREATE TEMP TABLE merge_survivors ON COMMIT DROP AS
WITH RECURSIVE chain (id, survivor, depth) AS (
  SELECT id, merged_into, 1 FROM customers WHERE merged_into IS NOT NULL
  UNION ALL
  SELECT ch.id, c.merged_into, ch.depth + 1
    FROM chain ch JOIN customers c ON c.id = ch.survivor
   WHERE c.merged_into IS NOT NULL AND ch.depth < 32
)
SELECT DISTINCT ON (id) id, survivor FROM chain ORDER BY id, depth DESC;

UPDATE oa_followers t SET customer_id = m.survivor, updated_at = now()
  FROM merge_survivors m WHERE t.customer_id = m.id;
UPDATE wecom_contacts t SET customer_id = m.survivor, updated_at = now()
  FROM merge_survivors m WHERE t.customer_id = m.id;
UPDATE wecom_group_members t SET customer_id = m.survivor
  FROM merge_survivors m WHERE t.customer_id = m.id;
UPDATE channel_adds t SET customer_id = m.survivor
  FROM merge_survivors m WHERE t.customer_id = m.id;
UPDATE oa_qr_events t SET customer_id = m.survivor
  FROM merge_survivors m WHERE t.customer_id = m.id;
