-- Segment-entry and webhook triggers of flows (SPEC §6).

-- Who is in a segment-entry trigger's segment, as last seen: entering is a new row (inserted with
-- ON CONFLICT DO NOTHING, so the event subscriber and the sweep start an instance once), leaving
-- deletes it so a later entry counts again. Seeded silently when the trigger is published.
CREATE TABLE flow_segment_members (
  tenant_id text NOT NULL REFERENCES tenants(id),
  flow_id text NOT NULL REFERENCES flows(id),
  node_id text NOT NULL,
  customer_id text NOT NULL,
  entered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flow_id, node_id, customer_id)
);
SELECT siyu_tenant_table('flow_segment_members');

-- One secret per webhook trigger node: found by its keyed hash (the public route knows no tenant),
-- kept encrypted so the designer can show the URL again. Kept when the flow is archived (answering
-- 409 instead of 404), replaced by "regenerate".
CREATE TABLE flow_webhooks (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  flow_id text NOT NULL REFERENCES flows(id),
  node_id text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  token_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (flow_id, node_id)
);
SELECT siyu_tenant_table('flow_webhooks');

-- Idempotency keys of webhook calls: the same key answers the instances of its first call.
CREATE TABLE flow_webhook_calls (
  tenant_id text NOT NULL REFERENCES tenants(id),
  flow_id text NOT NULL REFERENCES flows(id),
  node_id text NOT NULL,
  idempotency_key text NOT NULL,
  instance_ids text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flow_id, node_id, idempotency_key)
);
SELECT siyu_tenant_table('flow_webhook_calls');
