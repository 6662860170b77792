-- Identity resolution: merge history (undoable) and the review queue of weaker matches.

CREATE TABLE customer_merges (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  target_id text NOT NULL REFERENCES customers(id),
  source_id text NOT NULL REFERENCES customers(id),
  reason text NOT NULL,
  -- What undo needs: both profiles as they were, and exactly what moved.
  target_before jsonb NOT NULL,
  source_before jsonb NOT NULL,
  moved_identities jsonb NOT NULL DEFAULT '[]',
  moved_event_ids bigint[] NOT NULL DEFAULT '{}',
  actor_id text,
  at timestamptz NOT NULL DEFAULT now(),
  undone_at timestamptz
);
CREATE INDEX customer_merges_target ON customer_merges (tenant_id, target_id);
CREATE INDEX customer_merges_source ON customer_merges (tenant_id, source_id);
SELECT siyu_tenant_table('customer_merges');

CREATE TABLE merge_candidates (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  customer_a text NOT NULL REFERENCES customers(id),
  customer_b text NOT NULL REFERENCES customers(id),
  reason text NOT NULL,
  score real NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'rejected')),
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  decided_by text,
  CHECK (customer_a < customer_b)
);
CREATE UNIQUE INDEX merge_candidates_pair ON merge_candidates (tenant_id, customer_a, customer_b);
CREATE INDEX merge_candidates_open ON merge_candidates (tenant_id, created_at DESC) WHERE status = 'open';
SELECT siyu_tenant_table('merge_candidates');
