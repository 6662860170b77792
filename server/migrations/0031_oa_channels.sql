-- Official Account parametric QR codes as channel codes (SPEC §3/§4), and ONE channel-statistics model
-- for both engines: the views channel_facts and channel_spend read WeCom live codes' rows and OA QR
-- codes' rows in one shape (scan / add / delete facts per channel, staff where there is one), so stats,
-- the dashboard and the CSV are computed once for either kind of channel.

CREATE TABLE oa_qr_codes (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  -- The scene string WeChat gives back (subscribe: EventKey qrscene_<scene>; SCAN: <scene>).
  scene text NOT NULL CHECK (length(scene) BETWEEN 1 AND 64),
  permanent boolean NOT NULL DEFAULT false,
  -- Temporary codes: 60 s .. 30 days (WeChat's limit), and when the ticket stops working.
  expire_seconds integer,
  expires_at timestamptz,
  ticket text NOT NULL,
  -- The URL the QR encodes (WeChat's `url`), and the image (showqrcode?ticket=…).
  url text NOT NULL,
  image_url text NOT NULL,
  -- Siyu tags given to a follower who comes through the code; OA tag ids marked through the API.
  tags text[] NOT NULL DEFAULT '{}',
  oa_tag_ids integer[] NOT NULL DEFAULT '{}',
  -- A passive reply for a follow through this code ({type:'text',content} …); null = the account's welcome.
  welcome jsonb,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
-- Kept after delete: a printed code may still be scanned, and its follows still count to it.
CREATE UNIQUE INDEX oa_qr_codes_scene ON oa_qr_codes (tenant_id, scene);
CREATE INDEX oa_qr_codes_list ON oa_qr_codes (tenant_id, created_at DESC, id) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('oa_qr_codes');

-- One row per callback that concerns a code (the inbox row is its identity: WeChat's retries add
-- nothing). subscribe = a scan that became a new follow (an add); scan = an existing follower scanned
-- (SCAN); unsubscribe = a follower the code brought left (a delete; within_24h of their follow).
CREATE TABLE oa_qr_events (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  inbox_id bigint NOT NULL,
  qr_code_id text NOT NULL REFERENCES oa_qr_codes(id),
  kind text NOT NULL CHECK (kind IN ('subscribe', 'scan', 'unsubscribe')),
  openid text NOT NULL,
  customer_id text,
  at timestamptz NOT NULL,
  within_24h boolean NOT NULL DEFAULT false,
  UNIQUE (tenant_id, inbox_id)
);
CREATE INDEX oa_qr_events_code ON oa_qr_events (tenant_id, qr_code_id, at);
CREATE INDEX oa_qr_events_follower ON oa_qr_events (tenant_id, openid, at DESC);
SELECT siyu_tenant_table('oa_qr_events');

-- Channel spend entered per OA code and period (fen), as live_code_spend.
CREATE TABLE oa_qr_spend (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  qr_code_id text NOT NULL REFERENCES oa_qr_codes(id),
  period_start date NOT NULL,
  period_end date NOT NULL CHECK (period_end >= period_start),
  amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
  note text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oa_qr_spend_code ON oa_qr_spend (tenant_id, qr_code_id, period_start);
SELECT siyu_tenant_table('oa_qr_spend');

-- The channel-statistics model. security_invoker: the querying role's row-level security applies to
-- every table under the view (a view owned by the superuser would otherwise bypass it).
CREATE VIEW channel_facts WITH (security_invoker = true) AS
  SELECT tenant_id, 'live_code'::text AS channel_type, live_code_id AS channel_id, 'add'::text AS fact,
         added_at AS at, userid AS staff, false AS within_24h
    FROM channel_adds WHERE live_code_id IS NOT NULL
  UNION ALL
  SELECT tenant_id, 'live_code', live_code_id, 'delete', deleted_at, userid, within_24h
    FROM channel_deletes WHERE live_code_id IS NOT NULL
  UNION ALL
  SELECT tenant_id, 'live_code', live_code_id, 'scan', scanned_at, NULL, false
    FROM live_code_scans
  UNION ALL
  -- Every OA callback with the code's scene is a scan (a follow through the code is one too).
  SELECT tenant_id, 'oa_qr', qr_code_id, 'scan', at, NULL, false
    FROM oa_qr_events WHERE kind IN ('subscribe', 'scan')
  UNION ALL
  SELECT tenant_id, 'oa_qr', qr_code_id, 'add', at, NULL, false
    FROM oa_qr_events WHERE kind = 'subscribe'
  UNION ALL
  SELECT tenant_id, 'oa_qr', qr_code_id, 'delete', at, NULL, within_24h
    FROM oa_qr_events WHERE kind = 'unsubscribe';
GRANT SELECT ON channel_facts TO siyu_app;

CREATE VIEW channel_spend WITH (security_invoker = true) AS
  SELECT tenant_id, 'live_code'::text AS channel_type, live_code_id AS channel_id, period_start, period_end, amount_fen
    FROM live_code_spend
  UNION ALL
  SELECT tenant_id, 'oa_qr', qr_code_id, period_start, period_end, amount_fen FROM oa_qr_spend;
GRANT SELECT ON channel_spend TO siyu_app;

-- Every channel of either engine, for lists and the dashboard.
CREATE VIEW channel_list WITH (security_invoker = true) AS
  SELECT tenant_id, 'live_code'::text AS channel_type, id AS channel_id, name, created_at, deleted_at FROM live_codes
  UNION ALL
  SELECT tenant_id, 'oa_qr', id, name, created_at, deleted_at FROM oa_qr_codes;
GRANT SELECT ON channel_list TO siyu_app;
