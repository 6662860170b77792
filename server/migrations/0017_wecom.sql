-- WeCom engine (SPEC §2): the tenant's corp settings and the local mirror of its WeCom organisation,
-- external contacts, follow relations, corp tags and customer groups, plus sync runs and the
-- durable work derived from callbacks.

-- One row per tenant. Secrets are encrypted with platform crypto (enc:v1:…) and registered as
-- encrypted columns, so key rotation re-encrypts them.
CREATE TABLE wecom_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  corp_id text NOT NULL,
  agent_id text NOT NULL,
  secret_enc text NOT NULL,
  contact_secret_enc text NOT NULL,
  callback_token_enc text NOT NULL,
  encoding_aes_key_enc text NOT NULL,
  api_base text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT siyu_tenant_table('wecom_settings');

CREATE TABLE wecom_departments (
  tenant_id text NOT NULL REFERENCES tenants(id),
  dept_id bigint NOT NULL,
  name text NOT NULL DEFAULT '',
  parent_id bigint,
  sort_order bigint NOT NULL DEFAULT 0,
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, dept_id)
);
SELECT siyu_tenant_table('wecom_departments');

-- WeCom members ("staff"). user_id links a member to a Siyu login (matched by e-mail) so customers
-- they follow are owned by that login.
CREATE TABLE wecom_staff (
  tenant_id text NOT NULL REFERENCES tenants(id),
  userid text NOT NULL,
  name text NOT NULL DEFAULT '',
  email text,
  department_ids bigint[] NOT NULL DEFAULT '{}',
  -- Userids of the member's direct leaders (is_leader_in_dept / direct_leader): who gets churn alerts.
  leader_userids text[] NOT NULL DEFAULT '{}',
  has_contact_permission boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'resigned')),
  user_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, userid)
);
SELECT siyu_tenant_table('wecom_staff');

-- External contacts and the customer each became.
CREATE TABLE wecom_contacts (
  tenant_id text NOT NULL REFERENCES tenants(id),
  external_userid text NOT NULL,
  customer_id text NOT NULL,
  unionid text,
  name text NOT NULL DEFAULT '',
  type smallint,
  gender smallint,
  avatar text,
  corp_name text,
  corp_full_name text,
  position text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, external_userid)
);
CREATE INDEX wecom_contacts_customer ON wecom_contacts (tenant_id, customer_id);
SELECT siyu_tenant_table('wecom_contacts');

-- Staff ↔ contact relations (follow_user). Ended relations keep their row with how they ended.
CREATE TABLE wecom_follows (
  tenant_id text NOT NULL REFERENCES tenants(id),
  external_userid text NOT NULL,
  userid text NOT NULL,
  remark text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  state text,
  add_way integer,
  tag_ids text[] NOT NULL DEFAULT '{}',
  createtime timestamptz,
  deleted_at timestamptz,
  ended_by text CHECK (ended_by IN ('staff_deleted', 'customer_deleted', 'transfer')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, external_userid, userid)
);
CREATE INDEX wecom_follows_staff ON wecom_follows (tenant_id, userid) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('wecom_follows');

-- Corp tags and tag groups: WeCom id ↔ Siyu tag id (tags) or tag group name.
CREATE TABLE wecom_corp_tags (
  tenant_id text NOT NULL REFERENCES tenants(id),
  wecom_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('tag', 'group')),
  group_wecom_id text,
  name text NOT NULL,
  siyu_tag_id text,
  deleted_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, wecom_id)
);
CREATE UNIQUE INDEX wecom_corp_tags_siyu ON wecom_corp_tags (tenant_id, siyu_tag_id)
  WHERE siyu_tag_id IS NOT NULL AND deleted_at IS NULL;
SELECT siyu_tenant_table('wecom_corp_tags');

CREATE TABLE wecom_groups (
  tenant_id text NOT NULL REFERENCES tenants(id),
  chat_id text NOT NULL,
  name text NOT NULL DEFAULT '',
  owner_userid text,
  notice text,
  status integer NOT NULL DEFAULT 0,
  member_version text,
  member_count integer NOT NULL DEFAULT 0,
  create_time timestamptz,
  dismissed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, chat_id)
);
SELECT siyu_tenant_table('wecom_groups');

CREATE TABLE wecom_group_members (
  tenant_id text NOT NULL REFERENCES tenants(id),
  chat_id text NOT NULL,
  member_id text NOT NULL,
  type smallint NOT NULL,
  unionid text,
  join_time timestamptz,
  join_scene smallint,
  invitor text,
  group_nickname text,
  name text,
  customer_id text,
  PRIMARY KEY (tenant_id, chat_id, member_id)
);
SELECT siyu_tenant_table('wecom_group_members');

-- Sync runs: progress counters and the resumable cursor state (a restarted run continues from it).
CREATE TABLE wecom_sync_runs (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  -- The steps still to do and the cursor within the current one.
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
CREATE INDEX wecom_sync_runs_list ON wecom_sync_runs (tenant_id, created_at DESC);
SELECT siyu_tenant_table('wecom_sync_runs');

-- Work derived from a callback (one per inbox row): written in the inbox transaction, done by a
-- job that calls WeCom and applies its effects in its own transaction, marking the row done there.
CREATE TABLE wecom_event_tasks (
  inbox_id bigint PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'ignored', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE INDEX wecom_event_tasks_pending ON wecom_event_tasks (created_at) WHERE status = 'pending';
SELECT siyu_tenant_table('wecom_event_tasks');

-- Alerts for staff and managers (churn: a customer deleted a member). Shown by the console.
CREATE TABLE wecom_alerts (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL,
  -- Inbox row that caused it: one alert per event however often it is processed.
  source_key text NOT NULL,
  recipient_userids text[] NOT NULL DEFAULT '{}',
  recipient_user_ids text[] NOT NULL DEFAULT '{}',
  customer_id text,
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz
);
CREATE UNIQUE INDEX wecom_alerts_source ON wecom_alerts (tenant_id, source_key);
SELECT siyu_tenant_table('wecom_alerts');
