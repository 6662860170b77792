-- Official Account engine (SPEC §4): the tenant's account settings, its followers and the customer
-- each became, work derived from callbacks, follower sync runs, keyword auto-replies and template sends.

-- One row per tenant. Secrets are encrypted with platform crypto and registered as encrypted columns
-- (key rotation re-encrypts them). original_id (gh_…) is learned from the first callback.
CREATE TABLE oa_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  app_id text NOT NULL,
  secret_enc text NOT NULL,
  token_enc text NOT NULL,
  encoding_aes_key_enc text,
  mode text NOT NULL CHECK (mode IN ('plain', 'compatible', 'safe')),
  api_base text NOT NULL,
  original_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT siyu_tenant_table('oa_settings');

-- Followers (粉丝) and the customer each became. An unsubscribed follower keeps its row (subscribed
-- false, unsubscribed_at): the customer is never deleted for it.
CREATE TABLE oa_followers (
  tenant_id text NOT NULL REFERENCES tenants(id),
  openid text NOT NULL,
  customer_id text NOT NULL,
  unionid text,
  subscribed boolean NOT NULL DEFAULT true,
  subscribe_time timestamptz,
  unsubscribed_at timestamptz,
  subscribe_scene text,
  -- The scene of the parametric QR the follower first came through (channel attribution).
  qr_scene text,
  tag_ids integer[] NOT NULL DEFAULT '{}',
  remark text NOT NULL DEFAULT '',
  language text,
  last_interaction_at timestamptz,
  synced_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, openid)
);
CREATE INDEX oa_followers_customer ON oa_followers (tenant_id, customer_id);
CREATE INDEX oa_followers_list ON oa_followers (tenant_id, updated_at DESC, openid);
SELECT siyu_tenant_table('oa_followers');

-- Work derived from a callback (one per inbox row), as wecom_event_tasks: written in the inbox
-- transaction, done by a job that reads the OA API outside any transaction and applies its effects.
-- Kinds the engine does not act on are stored as 'ignored' and stay visible.
CREATE TABLE oa_event_tasks (
  inbox_id bigint PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL,
  openid text NOT NULL DEFAULT '',
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'ignored', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE INDEX oa_event_tasks_pending ON oa_event_tasks (created_at) WHERE status = 'pending';
CREATE INDEX oa_event_tasks_list ON oa_event_tasks (tenant_id, inbox_id DESC);
SELECT siyu_tenant_table('oa_event_tasks');

-- Follower sync runs: progress counters and the resumable cursor (next_openid, batch position).
CREATE TABLE oa_sync_runs (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  cursor jsonb NOT NULL DEFAULT '{}',
  progress jsonb NOT NULL DEFAULT '{}',
  attempts integer NOT NULL DEFAULT 0,
  error text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX oa_sync_runs_list ON oa_sync_runs (tenant_id, created_at DESC);
SELECT siyu_tenant_table('oa_sync_runs');

-- Keyword auto-replies (被动回复): answered inside the callback from a per-process cache.
CREATE TABLE oa_keyword_replies (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  keyword text NOT NULL,
  match text NOT NULL DEFAULT 'exact' CHECK (match IN ('exact', 'contains')),
  reply jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  priority integer NOT NULL DEFAULT 0,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX oa_keyword_replies_keyword ON oa_keyword_replies (tenant_id, lower(keyword), match)
  WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('oa_keyword_replies');

-- Template messages sent through Siyu, so TEMPLATESENDJOBFINISH (by msgid) finds its send.
CREATE TABLE oa_template_sends (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  openid text NOT NULL,
  customer_id text,
  template_id text NOT NULL,
  client_msg_id text NOT NULL,
  msgid text,
  data jsonb NOT NULL DEFAULT '{}',
  url text,
  status text NOT NULL DEFAULT 'sending'
    CHECK (status IN ('sending', 'sent', 'success', 'failed_user_block', 'failed_system', 'rejected')),
  error text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE UNIQUE INDEX oa_template_sends_msgid ON oa_template_sends (tenant_id, msgid) WHERE msgid IS NOT NULL;
CREATE UNIQUE INDEX oa_template_sends_client ON oa_template_sends (tenant_id, client_msg_id);
SELECT siyu_tenant_table('oa_template_sends');
