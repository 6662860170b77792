-- Marketing guardrails (SPEC §6): per-customer frequency caps per channel, quiet hours in the tenant's
-- time zone, WeCom's mass-message limits, and opt-outs. Every outbound marketing touch asks the
-- contact-policy module first (decide / reserve) and is counted once per caller step (record).

-- A tenant's policy for one channel. No row: the module's defaults for that channel.
CREATE TABLE contact_policy_channels (
  tenant_id text NOT NULL REFERENCES tenants(id),
  channel text NOT NULL CHECK (channel IN ('wecom_private', 'wecom_mass', 'wecom_moment', 'oa_template', 'sms')),
  -- Caps on touches per customer (NULL: no cap). Days are the tenant's local calendar days:
  -- per_day = today; per_week = today and the 6 days before; per_month = today and the 29 before;
  -- per_calendar_month = since the 1st of this month (WeCom counts mass messages per natural month).
  per_day integer CHECK (per_day >= 0),
  per_week integer CHECK (per_week >= 0),
  per_month integer CHECK (per_month >= 0),
  per_calendar_month integer CHECK (per_calendar_month >= 0),
  -- Quiet hours as minutes after local midnight, [start, end); end <= start spans midnight. NULL: none.
  quiet_start smallint CHECK (quiet_start BETWEEN 0 AND 1439),
  quiet_end smallint CHECK (quiet_end BETWEEN 0 AND 1439),
  -- Transactional touches (service progress, bills) skip caps, quiet hours and marketing opt-outs.
  transactional_exempt boolean NOT NULL DEFAULT true,
  updated_by text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, channel),
  CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);
SELECT siyu_tenant_table('contact_policy_channels');

-- A customer who asked for no marketing on one channel, or on all ('all'). Opting in again deletes
-- the row; the timeline and the audit log keep the history.
CREATE TABLE contact_opt_outs (
  tenant_id text NOT NULL REFERENCES tenants(id),
  customer_id text NOT NULL,
  channel text NOT NULL
    CHECK (channel IN ('all', 'wecom_private', 'wecom_mass', 'wecom_moment', 'oa_template', 'sms')),
  -- keyword: the customer replied TD / 退订 / unsubscribe; staff: changed by a user; import: a CSV/API import.
  source text NOT NULL CHECK (source IN ('keyword', 'staff', 'import', 'api')),
  note text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, customer_id, channel)
);
SELECT siyu_tenant_table('contact_opt_outs');

-- One counted touch: a customer reached on a channel by one caller step (`ref`). The primary key makes
-- recording idempotent per step: a retried step never counts twice.
CREATE TABLE contact_touches (
  tenant_id text NOT NULL REFERENCES tenants(id),
  channel text NOT NULL,
  customer_id text NOT NULL,
  ref text NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('marketing', 'transactional')),
  -- Whether it counts toward caps (marketing, or transactional on a channel that does not exempt it).
  counted boolean NOT NULL DEFAULT true,
  at timestamptz NOT NULL,
  -- The tenant's local day of `at` when recorded: caps count local days, not UTC ones.
  local_day date NOT NULL,
  PRIMARY KEY (tenant_id, channel, customer_id, ref)
);
CREATE INDEX contact_touches_window ON contact_touches (tenant_id, channel, customer_id, local_day) WHERE counted;
CREATE INDEX contact_touches_day ON contact_touches (tenant_id, local_day, channel);
SELECT siyu_tenant_table('contact_touches');

-- One row per (channel, customer) that reserve() locks (SELECT … FOR UPDATE, in id order) so two
-- concurrent sends to the same customer decide one after the other and cannot both pass a cap. Row
-- locks, unlike advisory locks, need no shared lock-table slot, so 100k customers in one call is fine.
CREATE TABLE contact_touch_locks (
  tenant_id text NOT NULL REFERENCES tenants(id),
  channel text NOT NULL,
  customer_id text NOT NULL,
  PRIMARY KEY (tenant_id, channel, customer_id)
);
SELECT siyu_tenant_table('contact_touch_locks');

-- Touches refused by reserve(), per local day, channel and reason: the dashboard's "denied by reason".
CREATE TABLE contact_denials_daily (
  tenant_id text NOT NULL REFERENCES tenants(id),
  local_day date NOT NULL,
  channel text NOT NULL,
  reason text NOT NULL,
  n integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, local_day, channel, reason)
);
SELECT siyu_tenant_table('contact_denials_daily');

-- WeCom mass messages: recipients the policy refused are kept with the reason (status 'blocked'),
-- and a message created in quiet hours waits until `not_before`.
ALTER TABLE wecom_mass_message_recipients DROP CONSTRAINT wecom_mass_message_recipients_status_check;
ALTER TABLE wecom_mass_message_recipients ADD CONSTRAINT wecom_mass_message_recipients_status_check
  CHECK (status IN ('pending', 'not_sent', 'sent', 'not_friend', 'already_received', 'failed', 'blocked'));
ALTER TABLE wecom_mass_message_recipients ADD COLUMN policy_reason text;
ALTER TABLE wecom_mass_message_senders DROP CONSTRAINT wecom_mass_message_senders_status_check;
ALTER TABLE wecom_mass_message_senders ADD CONSTRAINT wecom_mass_message_senders_status_check
  CHECK (status IN ('pending', 'created', 'confirmed', 'failed', 'skipped'));
ALTER TABLE wecom_mass_messages ADD COLUMN not_before timestamptz;
