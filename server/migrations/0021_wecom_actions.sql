-- WeCom actions (SPEC §2 "Actions"): corp tags marked on customers, remarks, mass messages with
-- per-customer results, moments tasks, and customer/group succession (在职/离职继承) with status.

-- Results of WeCom calls that must not repeat: a job retried after a crash or an error finds the
-- result of each step that already succeeded (msgid, jobid, per-customer errcodes) and skips the call.
CREATE TABLE wecom_action_steps (
  tenant_id text NOT NULL REFERENCES tenants(id),
  step_key text NOT NULL,
  result jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, step_key)
);
SELECT siyu_tenant_table('wecom_action_steps');

-- Remark mobiles are personal data: encrypted (JSON array) like customers' phones.
ALTER TABLE wecom_follows ADD COLUMN remark_mobiles_enc text;

-- A Siyu tag change on a customer pushed to WeCom (mark_tag on each follow relation).
CREATE TABLE wecom_tag_marks (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  -- The customers-module event that caused it: one mark per event however often it is delivered.
  source_event_id text NOT NULL,
  customer_id text NOT NULL,
  tag_id text NOT NULL,
  wecom_tag_id text NOT NULL,
  op text NOT NULL CHECK (op IN ('add', 'remove')),
  -- [{userid, externalUserid, status: pending|done|gone|failed, errcode?}]
  relations jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz
);
CREATE UNIQUE INDEX wecom_tag_marks_source ON wecom_tag_marks (tenant_id, source_event_id);
CREATE INDEX wecom_tag_marks_customer ON wecom_tag_marks (tenant_id, customer_id, created_at DESC);
SELECT siyu_tenant_table('wecom_tag_marks');

CREATE TABLE wecom_mass_messages (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL DEFAULT '',
  text text NOT NULL DEFAULT '',
  attachments jsonb NOT NULL DEFAULT '[]',
  -- What the user picked ({customerIds} | {segmentId} | {tagIds}), kept for display.
  target jsonb NOT NULL,
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'sending', 'sent', 'completed', 'failed')),
  error text,
  polls integer NOT NULL DEFAULT 0,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX wecom_mass_messages_list ON wecom_mass_messages (tenant_id, id DESC);
SELECT siyu_tenant_table('wecom_mass_messages');

-- add_msg_template is per sender: one row per owner staff, with WeCom's msgid once created.
CREATE TABLE wecom_mass_message_senders (
  tenant_id text NOT NULL REFERENCES tenants(id),
  mass_message_id text NOT NULL REFERENCES wecom_mass_messages(id),
  sender text NOT NULL,
  msgid text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'created', 'confirmed', 'failed')),
  errcode integer,
  error text,
  send_time timestamptz,
  PRIMARY KEY (tenant_id, mass_message_id, sender)
);
SELECT siyu_tenant_table('wecom_mass_message_senders');

CREATE TABLE wecom_mass_message_recipients (
  tenant_id text NOT NULL REFERENCES tenants(id),
  mass_message_id text NOT NULL REFERENCES wecom_mass_messages(id),
  external_userid text NOT NULL,
  customer_id text NOT NULL,
  sender text NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'not_sent', 'sent', 'not_friend', 'already_received', 'failed')),
  send_time timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, mass_message_id, external_userid)
);
CREATE INDEX wecom_mass_message_recipients_status
  ON wecom_mass_message_recipients (tenant_id, mass_message_id, status);
SELECT siyu_tenant_table('wecom_mass_message_recipients');

CREATE TABLE wecom_moment_tasks (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  text text NOT NULL DEFAULT '',
  attachments jsonb NOT NULL DEFAULT '[]',
  visible_range jsonb NOT NULL DEFAULT '{}',
  jobid text,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  moment_id text,
  result jsonb,
  error text,
  polls integer NOT NULL DEFAULT 0,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX wecom_moment_tasks_list ON wecom_moment_tasks (tenant_id, id DESC);
SELECT siyu_tenant_table('wecom_moment_tasks');

-- One succession request: customers (on-job / resigned) or groups, from one member to another.
CREATE TABLE wecom_transfers (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL CHECK (kind IN ('onjob', 'resigned', 'group_onjob', 'group_resigned')),
  handover_userid text,
  takeover_userid text NOT NULL,
  message text,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  error text,
  polls integer NOT NULL DEFAULT 0,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX wecom_transfers_list ON wecom_transfers (tenant_id, id DESC);
SELECT siyu_tenant_table('wecom_transfers');

-- One customer (or group) of a transfer. `chunk` groups items into calls of at most 100.
-- WeCom status: 1 done, 2 waiting, 3 refused, 4 over quota, 5 no record (null until started).
CREATE TABLE wecom_transfer_items (
  tenant_id text NOT NULL REFERENCES tenants(id),
  transfer_id text NOT NULL REFERENCES wecom_transfers(id),
  subject_id text NOT NULL,
  customer_id text,
  handover_userid text,
  chunk integer NOT NULL,
  errcode integer,
  wecom_status smallint,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'waiting', 'done', 'refused', 'over_quota', 'no_record', 'failed')),
  reason text,
  takeover_time timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, transfer_id, subject_id)
);
CREATE INDEX wecom_transfer_items_waiting ON wecom_transfer_items (tenant_id, subject_id) WHERE status = 'waiting';
SELECT siyu_tenant_table('wecom_transfer_items');
