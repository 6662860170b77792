-- Channel live codes (渠道活码, SPEC §3): a WeCom contact way per code, its adds (with the welcome
-- message's fate), deletions, landing-page scans and entered channel spend.

CREATE TABLE live_codes (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  -- The contact way's state (≤ 30 chars, derived from the id so any name works). Kept after delete:
  -- a deleted code's QR may still be scanned, and its adds still count to it.
  state text NOT NULL CHECK (length(state) <= 30),
  -- The landing short link /l/<link_code>: unique across tenants (the public route has no tenant).
  link_code text NOT NULL,
  config_id text NOT NULL,
  -- 1: one member for life (a pool of one without backup); 2: multi-member, its list edited by Siyu.
  way_type smallint NOT NULL DEFAULT 2 CHECK (way_type IN (1, 2)),
  qr_url text NOT NULL DEFAULT '',
  strategy text NOT NULL DEFAULT 'round_robin'
    CHECK (strategy IN ('round_robin', 'least_loaded', 'weighted', 'working_hours')),
  staff_user_ids text[] NOT NULL,
  backup_user_ids text[] NOT NULL DEFAULT '{}',
  -- What the contact way holds now (pool minus capped / off-duty members, narrowed by the strategy).
  active_user_ids text[] NOT NULL DEFAULT '{}',
  -- {userid: {weight?, dailyCap?, hours?}}
  staff_options jsonb NOT NULL DEFAULT '{}',
  daily_cap integer,
  tags text[] NOT NULL DEFAULT '{}',
  remark_template text,
  skip_verify boolean NOT NULL DEFAULT true,
  valid_from timestamptz,
  valid_until timestamptz,
  -- {text?, attachments?, variants?[]} (contracts/channels.ts welcomeSchema)
  welcome jsonb,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX live_codes_state ON live_codes (tenant_id, state);
CREATE UNIQUE INDEX live_codes_link ON live_codes (link_code);
CREATE INDEX live_codes_list ON live_codes (tenant_id, created_at DESC, id) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('live_codes');

-- One row per add_external_contact / add_half event (the inbox row is its identity, so WeCom's retries
-- add nothing). live_code_id NULL = "no channel" (no state, or a state no code has).
CREATE TABLE channel_adds (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  inbox_id bigint NOT NULL,
  live_code_id text REFERENCES live_codes(id),
  state text NOT NULL DEFAULT '',
  kind text NOT NULL CHECK (kind IN ('add', 'half')),
  userid text NOT NULL,
  external_userid text NOT NULL,
  customer_id text,
  added_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  -- The add came after the code's validity ended (or before it began): still the code's, flagged.
  expired boolean NOT NULL DEFAULT false,
  -- Welcome message: none (no WelcomeCode, no message, or a deleted code), pending, sent, failed (WeCom
  -- refused: errcode kept), unknown (refused as used on a retry: our earlier attempt may have got through).
  -- The code itself is cleared once the outcome is known.
  welcome_code text,
  welcome_status text NOT NULL DEFAULT 'none'
    CHECK (welcome_status IN ('none', 'pending', 'sent', 'failed', 'unknown')),
  welcome_variant text,
  welcome_error text,
  welcome_errcode integer,
  welcome_sent_at timestamptz,
  welcome_latency_ms integer,
  remark_status text NOT NULL DEFAULT 'none' CHECK (remark_status IN ('none', 'pending', 'done', 'failed')),
  remark_error text,
  -- A half add (add_half_external_contact: the customer added a skip-verify member who had not yet
  -- confirmed) becomes a full add when add_external_contact follows: one add, not two.
  confirmed_inbox_id bigint,
  UNIQUE (tenant_id, inbox_id)
);
CREATE INDEX channel_adds_code ON channel_adds (tenant_id, live_code_id, added_at);
CREATE INDEX channel_adds_relation ON channel_adds (tenant_id, external_userid, userid, added_at DESC);
CREATE INDEX channel_adds_customer ON channel_adds (tenant_id, customer_id) WHERE customer_id IS NOT NULL;
SELECT siyu_tenant_table('channel_adds');

-- Deletions of a relation that came through a live code (by either side), joined to its add.
CREATE TABLE channel_deletes (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  inbox_id bigint NOT NULL,
  add_id text REFERENCES channel_adds(id),
  live_code_id text REFERENCES live_codes(id),
  userid text NOT NULL,
  external_userid text NOT NULL,
  by_side text NOT NULL CHECK (by_side IN ('customer', 'staff')),
  deleted_at timestamptz NOT NULL,
  within_24h boolean NOT NULL DEFAULT false,
  UNIQUE (tenant_id, inbox_id)
);
CREATE INDEX channel_deletes_code ON channel_deletes (tenant_id, live_code_id, deleted_at);
SELECT siyu_tenant_table('channel_deletes');

-- Landing-page visits (GET /l/<code>): when, which browser, which campaign parameters.
CREATE TABLE live_code_scans (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  live_code_id text NOT NULL REFERENCES live_codes(id),
  scanned_at timestamptz NOT NULL DEFAULT now(),
  user_agent text,
  referer text,
  -- utm_source, utm_medium, utm_campaign, utm_term, utm_content, source, region (strings, bounded)
  params jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX live_code_scans_code ON live_code_scans (tenant_id, live_code_id, scanned_at);
SELECT siyu_tenant_table('live_code_scans');

-- Channel spend entered per code and period (fen): cost per add = spend in range / adds in range.
CREATE TABLE live_code_spend (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  live_code_id text NOT NULL REFERENCES live_codes(id),
  period_start date NOT NULL,
  period_end date NOT NULL CHECK (period_end >= period_start),
  amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
  note text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_code_spend_code ON live_code_spend (tenant_id, live_code_id, period_start);
SELECT siyu_tenant_table('live_code_spend');
