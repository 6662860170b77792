-- Customer data hub (SPEC §1): one profile per person, identities, tags, custom fields, timeline.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customers (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL DEFAULT '',
  -- Phone in E.164 (+8613812341234), encrypted at rest, found through its blind index.
  phone_enc text,
  phone_bidx text,
  email text,
  -- Standard and custom attributes by stable field key; types checked against custom_fields.
  attributes jsonb NOT NULL DEFAULT '{}',
  -- Tag ids, denormalised for segment evaluation (GIN: A AND B AND NOT C in ms at 1M rows).
  tag_ids text[] NOT NULL DEFAULT '{}',
  owner_user_ids text[] NOT NULL DEFAULT '{}',
  lifecycle_stage text,
  source text,
  -- Set when this profile was merged into another; such rows are hidden from lists.
  merged_into text,
  erased_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX customers_list ON customers (tenant_id, id DESC) WHERE merged_into IS NULL AND deleted_at IS NULL;
CREATE INDEX customers_tags ON customers USING gin (tag_ids);
CREATE INDEX customers_phone ON customers (tenant_id, phone_bidx) WHERE phone_bidx IS NOT NULL;
CREATE INDEX customers_email ON customers (tenant_id, email) WHERE email IS NOT NULL;
CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);
SELECT siyu_tenant_table('customers');

-- Identities: (type, scope, value) is one person per tenant. Phones are stored as their blind index.
CREATE TABLE customer_identities (
  tenant_id text NOT NULL REFERENCES tenants(id),
  customer_id text NOT NULL REFERENCES customers(id),
  type text NOT NULL,
  scope text NOT NULL DEFAULT '',
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, type, scope, value)
);
CREATE INDEX customer_identities_customer ON customer_identities (tenant_id, customer_id);
SELECT siyu_tenant_table('customer_identities');

CREATE TABLE tag_groups (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tag_groups_name ON tag_groups (tenant_id, lower(name));
SELECT siyu_tenant_table('tag_groups');

CREATE TABLE tags (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  group_id text REFERENCES tag_groups(id),
  name text NOT NULL,
  color text NOT NULL DEFAULT 'blue',
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX tags_name ON tags (tenant_id, lower(name)) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('tags');

-- Everything that happened to a person, newest first.
CREATE TABLE customer_events (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  customer_id text NOT NULL,
  type text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  data jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX customer_events_timeline ON customer_events (tenant_id, customer_id, at DESC, id DESC);
CREATE INDEX customer_events_type ON customer_events (tenant_id, type, at DESC);
SELECT siyu_tenant_table('customer_events');
GRANT USAGE ON SEQUENCE customer_events_id_seq TO siyu_app;

CREATE TABLE custom_fields (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  key text NOT NULL,
  label text NOT NULL,
  type text NOT NULL CHECK (type IN ('text', 'number', 'boolean', 'date', 'select', 'multiselect')),
  options jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX custom_fields_key ON custom_fields (tenant_id, key);
SELECT siyu_tenant_table('custom_fields');
