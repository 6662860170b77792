-- Rule-based auto tags: a segment condition that adds (and, when no longer true, removes) one tag.
CREATE TABLE tag_rules (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  tag_id text NOT NULL REFERENCES tags(id),
  expression text NOT NULL,
  ast jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  last_run_at timestamptz,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX tag_rules_tenant ON tag_rules (tenant_id) WHERE deleted_at IS NULL;
SELECT siyu_tenant_table('tag_rules');

-- Which customers hold a tag because of a rule: a rule removes only what it added, never a manual tag.
CREATE TABLE tag_rule_assignments (
  tenant_id text NOT NULL REFERENCES tenants(id),
  rule_id text NOT NULL REFERENCES tag_rules(id),
  customer_id text NOT NULL,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, customer_id)
);
SELECT siyu_tenant_table('tag_rule_assignments');
