-- Quick replies (话术库): what staff send to customers from the WeCom sidebar, grouped and searchable.
CREATE TABLE quick_reply_groups (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  sort_order integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX quick_reply_groups_name ON quick_reply_groups (tenant_id, lower(name)) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('quick_reply_groups');

CREATE TABLE quick_replies (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  group_id text REFERENCES quick_reply_groups(id),
  -- NULL: the tenant's reply, edited by managers; set: one staff member's personal reply, seen by them only.
  owner_user_id text REFERENCES users(id),
  title text NOT NULL,
  content text NOT NULL,
  -- [{type:"image"|"link"|"miniprogram", …}] in the shapes WeCom's message APIs take.
  attachments jsonb NOT NULL DEFAULT '[]',
  keywords text[] NOT NULL DEFAULT '{}',
  sort_order integer NOT NULL DEFAULT 0,
  use_count integer NOT NULL DEFAULT 0,
  last_used_at timestamptz,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
-- Lists are per tenant and ordered (sort_order, id); search is a substring scan over one tenant's library
-- (hundreds to a few thousand rows), which needs no trigram index (and PGlite has no pg_trgm).
CREATE INDEX quick_replies_order ON quick_replies (tenant_id, sort_order, id) WHERE deleted_at IS NULL;
CREATE INDEX quick_replies_group ON quick_replies (tenant_id, group_id) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('quick_replies');
