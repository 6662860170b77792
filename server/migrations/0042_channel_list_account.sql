-- The channel overview names each OA code's account: a tenant that switched its Official Account sees
-- the previous account's codes with their history, labelled, and can filter them (channel-stats.service.ts).
-- Live codes have no account (null). Columns are appended, so CREATE OR REPLACE keeps the view's grants.
CREATE OR REPLACE VIEW channel_list WITH (security_invoker = true) AS
  SELECT tenant_id, 'live_code'::text AS channel_type, id AS channel_id, name, created_at, deleted_at,
         NULL::text AS app_id
    FROM live_codes
  UNION ALL
  SELECT tenant_id, 'oa_qr', id, name, created_at, deleted_at, app_id FROM oa_qr_codes;
GRANT SELECT ON channel_list TO siyu_app;
