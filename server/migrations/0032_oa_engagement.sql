-- The feature half of the Official Account engine (SPEC §4): templates and template batches, menus by
-- tag with the Siyu tag ↔ OA tag map, the account's welcome reply, the step results that keep outside
-- calls from repeating, the content library with tracked links, and cross-engine rules with follow-ups.

-- ── official-account ──

-- Templates of the account: synced (template/get_all_private_template) or entered by hand.
CREATE TABLE oa_templates (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  template_id text NOT NULL,
  title text NOT NULL,
  content text NOT NULL DEFAULT '',
  example text NOT NULL DEFAULT '',
  source text NOT NULL DEFAULT 'entered' CHECK (source IN ('synced', 'entered')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX oa_templates_template ON oa_templates (tenant_id, template_id) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('oa_templates');

-- One send to many recipients (a customer list, a segment or a tag); each recipient is a row of
-- oa_template_sends (0025) with batch_id, sent by a job through a stored step.
CREATE TABLE oa_template_batches (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  template_id text NOT NULL,
  audience jsonb NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  url text,
  article_id text,
  miniprogram jsonb,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'done')),
  total integer NOT NULL DEFAULT 0,
  skipped integer NOT NULL DEFAULT 0,
  -- What started it: a user, or a rule (`rule:<id>`).
  origin text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX oa_template_batches_list ON oa_template_batches (tenant_id, created_at DESC, id);
SELECT siyu_tenant_table('oa_template_batches');

ALTER TABLE oa_template_sends ADD COLUMN batch_id text REFERENCES oa_template_batches(id);
ALTER TABLE oa_template_sends ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE oa_template_sends ADD COLUMN errcode integer;
CREATE INDEX oa_template_sends_batch ON oa_template_sends (tenant_id, batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX oa_template_sends_customer ON oa_template_sends (tenant_id, customer_id, created_at DESC);

-- Results of outside calls that must not repeat (template sends, menu publishes): a retried job finds
-- the stored result and does not call again (as wecom_action_steps).
CREATE TABLE oa_action_steps (
  tenant_id text NOT NULL REFERENCES tenants(id),
  step_key text NOT NULL,
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, step_key)
);
SELECT siyu_tenant_table('oa_action_steps');

-- A Siyu tag mapped to an OA tag: members are marked with batchtagging; conditional menus match it.
CREATE TABLE oa_tag_map (
  tenant_id text NOT NULL REFERENCES tenants(id),
  tag_name text NOT NULL,
  oa_tag_id integer NOT NULL,
  oa_tag_name text NOT NULL,
  members integer NOT NULL DEFAULT 0,
  synced_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, tag_name)
);
SELECT siyu_tenant_table('oa_tag_map');

-- Menus: the default (tag null, one) and conditional menus by tag; published with menu/create and
-- menu/addconditional (menuid kept to delete it on the next publish).
CREATE TABLE oa_menus (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  tag_name text,
  buttons jsonb NOT NULL,
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'failed')),
  menuid text,
  error text,
  published_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX oa_menus_default ON oa_menus (tenant_id) WHERE tag_name IS NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX oa_menus_tag ON oa_menus (tenant_id, tag_name) WHERE tag_name IS NOT NULL AND deleted_at IS NULL;
SELECT siyu_tenant_table('oa_menus');

-- The account's welcome (passive reply to a follow without a code's own welcome).
CREATE TABLE oa_welcome (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  reply jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT siyu_tenant_table('oa_welcome');

-- ── content ──

CREATE TABLE content_articles (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  title text NOT NULL,
  cover_url text,
  summary text NOT NULL DEFAULT '',
  url text NOT NULL,
  -- The short link SIYU_PUBLIC_URL/c/<code>: unique across tenants (the public route has no tenant).
  code text NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX content_articles_code ON content_articles (code);
CREATE INDEX content_articles_list ON content_articles (tenant_id, created_at DESC, id) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('content_articles');

-- Recipient tokens (`?u=<token>`): who a tracked link was sent to (a customer, or a follower's openid
-- before their customer exists). Unique across tenants.
CREATE TABLE content_recipients (
  token text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  customer_id text,
  openid text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (customer_id IS NOT NULL OR openid IS NOT NULL)
);
CREATE UNIQUE INDEX content_recipients_customer ON content_recipients (tenant_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE UNIQUE INDEX content_recipients_openid ON content_recipients (tenant_id, openid) WHERE customer_id IS NULL;
SELECT siyu_tenant_table('content_recipients');

CREATE TABLE content_clicks (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  article_id text NOT NULL REFERENCES content_articles(id),
  customer_id text,
  token text,
  clicked_at timestamptz NOT NULL DEFAULT now(),
  user_agent text
);
CREATE INDEX content_clicks_article ON content_clicks (tenant_id, article_id, clicked_at);
SELECT siyu_tenant_table('content_clicks');

-- ── engagement: cross-engine rules and follow-ups ──

CREATE TABLE engagement_rules (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL CHECK (kind IN ('oa_message_followup', 'tag_sends_article')),
  name text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  config jsonb NOT NULL DEFAULT '{}',
  fired integer NOT NULL DEFAULT 0,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX engagement_rules_kind ON engagement_rules (tenant_id, kind) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('engagement_rules');

-- Follow-up tasks for the owner staff (the process engine's tasks table will take these over).
-- One per (rule, source event): a redelivered event creates nothing.
CREATE TABLE follow_ups (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  customer_id text NOT NULL,
  owner_userid text,
  title text NOT NULL,
  detail text NOT NULL DEFAULT '',
  source text NOT NULL,
  rule_id text REFERENCES engagement_rules(id),
  source_event_id text NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  created_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz,
  done_by text,
  UNIQUE (tenant_id, source_event_id)
);
CREATE INDEX follow_ups_customer ON follow_ups (tenant_id, customer_id, status);
CREATE INDEX follow_ups_open ON follow_ups (tenant_id, status, created_at DESC);
SELECT siyu_tenant_table('follow_ups');
