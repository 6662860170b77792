-- Live codes, continued (issue 5): welcomes sent per callback batch, group live codes, by-region allocation.

-- The key of the job that carries an add's welcome (one job per callback batch): the inbox job of an add
-- whose welcome is still pending enqueues that job again under the same key, so a job lost between
-- commit and send is made again, and one that exists is not doubled.
ALTER TABLE channel_adds ADD COLUMN welcome_job text;
CREATE INDEX channel_adds_welcome_job ON channel_adds (tenant_id, welcome_job) WHERE welcome_status = 'pending';

-- by_region: staff carry regions (staff_options.regions); a scan's region picks the members serving it.
ALTER TABLE live_codes DROP CONSTRAINT IF EXISTS live_codes_strategy_check;
ALTER TABLE live_codes ADD CONSTRAINT live_codes_strategy_check
  CHECK (strategy IN ('round_robin', 'least_loaded', 'weighted', 'working_hours', 'by_region'));

-- WeCom picks the member of a contact way, so each set of members serving a region gets its own way
-- (same state as the code: its adds count to the code), made when a scan from that region first comes.
CREATE TABLE live_code_ways (
  tenant_id text NOT NULL REFERENCES tenants(id),
  live_code_id text NOT NULL REFERENCES live_codes(id),
  -- The sorted member userids, joined: one way per member set.
  members_key text NOT NULL,
  user_ids text[] NOT NULL,
  config_id text NOT NULL,
  qr_url text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, live_code_id, members_key)
);
SELECT siyu_tenant_table('live_code_ways');

-- Group live codes (群活码): one landing link for an ordered list of WeCom customer groups, each with a
-- capacity; the link shows the first group with room, so it moves on to the next when one is full.
CREATE TABLE live_code_groups (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  -- The landing short link /l/<link_code> (the same namespace as live_codes.link_code).
  link_code text NOT NULL,
  -- Shown when every group is full (a default text otherwise).
  full_message text,
  -- The owner, alerted when every group is full.
  created_by text,
  -- Since when every group has been full (the alert went out then); cleared when one has room again.
  all_full_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX live_code_groups_link ON live_code_groups (link_code);
CREATE INDEX live_code_groups_list ON live_code_groups (tenant_id, id DESC) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('live_code_groups');

CREATE TABLE live_code_group_chats (
  tenant_id text NOT NULL REFERENCES tenants(id),
  group_code_id text NOT NULL REFERENCES live_code_groups(id),
  position integer NOT NULL,
  -- The WeCom customer group (its member count comes from the wecom module's group sync and events).
  chat_id text NOT NULL,
  capacity integer NOT NULL DEFAULT 200 CHECK (capacity BETWEEN 1 AND 2000),
  -- The group's own QR image (uploaded by the owner in WeCom and linked here), shown on the landing page.
  qr_image_url text,
  PRIMARY KEY (tenant_id, group_code_id, position),
  UNIQUE (tenant_id, group_code_id, chat_id)
);
CREATE INDEX live_code_group_chats_chat ON live_code_group_chats (tenant_id, chat_id);
SELECT siyu_tenant_table('live_code_group_chats');

-- Landing visits (scan: which group was shown) and joins of the code's groups (from WeCom's member events).
CREATE TABLE live_code_group_activity (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  group_code_id text NOT NULL REFERENCES live_code_groups(id),
  kind text NOT NULL CHECK (kind IN ('scan', 'join')),
  -- scan: the group shown (null when all were full); join: the group joined.
  chat_id text,
  member_id text,
  at timestamptz NOT NULL DEFAULT now(),
  user_agent text,
  params jsonb NOT NULL DEFAULT '{}',
  -- join: `<inbox id>:<member>` so a reprocessed event counts once.
  source_key text
);
CREATE UNIQUE INDEX live_code_group_activity_source ON live_code_group_activity (tenant_id, source_key)
  WHERE source_key IS NOT NULL;
CREATE INDEX live_code_group_activity_code ON live_code_group_activity (tenant_id, group_code_id, at);
SELECT siyu_tenant_table('live_code_group_activity');

-- Alerts of the channels module for its owners (e.g. every group of a group live code is full).
CREATE TABLE channel_alerts (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL,
  group_code_id text REFERENCES live_code_groups(id),
  recipient_user_ids text[] NOT NULL DEFAULT '{}',
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz
);
CREATE INDEX channel_alerts_list ON channel_alerts (tenant_id, created_at DESC);
SELECT siyu_tenant_table('channel_alerts');
