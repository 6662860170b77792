-- Flows (process engine, SPEC §6): versioned definitions, durable instances with tokens (one per
-- parallel branch), per-node history, stored action results (runStep) and re-entry bookkeeping.

CREATE TABLE flows (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
  -- The draft: what publish turns into version draft_version (equal to published_version when unchanged).
  draft jsonb NOT NULL,
  draft_version integer NOT NULL DEFAULT 1,
  published_version integer,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz
);
CREATE INDEX flows_list ON flows (tenant_id, updated_at DESC, id);
SELECT siyu_tenant_table('flows');

CREATE TABLE flow_versions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  flow_id text NOT NULL REFERENCES flows(id),
  version integer NOT NULL,
  definition jsonb NOT NULL,
  published_by text,
  published_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (flow_id, version)
);
SELECT siyu_tenant_table('flow_versions');

-- What starts instances: one row per trigger node of each active flow's published version, so an
-- event finds its flows with one indexed lookup instead of reading every definition.
CREATE TABLE flow_triggers (
  tenant_id text NOT NULL REFERENCES tenants(id),
  flow_id text NOT NULL REFERENCES flows(id),
  version integer NOT NULL,
  node_id text NOT NULL,
  event text NOT NULL,
  params jsonb NOT NULL,
  PRIMARY KEY (flow_id, node_id)
);
CREATE INDEX flow_triggers_event ON flow_triggers (tenant_id, event);
SELECT siyu_tenant_table('flow_triggers');

CREATE TABLE flow_instances (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  flow_id text NOT NULL REFERENCES flows(id),
  version integer NOT NULL,
  customer_id text,
  status text NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'waiting', 'completed', 'failed', 'cancelled')),
  paused boolean NOT NULL DEFAULT false,
  vars jsonb NOT NULL DEFAULT '{}',
  -- The event that started it ({type, payload}), readable as `event` in expressions.
  trigger_event jsonb,
  parent_instance_id text,
  parent_token_id text,
  error text,
  -- Bumped by every advance: an optimistic check for readers, next to the row lock writers take.
  rev integer NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz
);
CREATE INDEX flow_instances_flow ON flow_instances (tenant_id, flow_id, started_at DESC, id);
CREATE INDEX flow_instances_customer ON flow_instances (tenant_id, customer_id, started_at DESC)
  WHERE customer_id IS NOT NULL;
CREATE INDEX flow_instances_live ON flow_instances (tenant_id, flow_id, version)
  WHERE status IN ('running', 'waiting');
SELECT siyu_tenant_table('flow_instances');

-- A token is where one branch of an instance is. `step` counts its moves: (token, step) names one
-- visit of one node, the identity of its history row, its timer jobs and its action's stored result.
CREATE TABLE flow_tokens (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  instance_id text NOT NULL REFERENCES flow_instances(id),
  node_id text NOT NULL,
  step integer NOT NULL DEFAULT 0,
  -- ready: to run; running: an external action is in flight (lease_until); waiting: timer, event,
  -- task, join or retry (wait); done; cancelled.
  status text NOT NULL CHECK (status IN ('ready', 'running', 'waiting', 'done', 'cancelled')),
  wait jsonb,
  wake_at timestamptz,
  wait_event text,
  customer_id text,
  -- The node the token came from (joins count their arrivals by it).
  from_node text,
  attempts integer NOT NULL DEFAULT 0,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flow_tokens_instance ON flow_tokens (instance_id) WHERE status <> 'done' AND status <> 'cancelled';
CREATE INDEX flow_tokens_due ON flow_tokens (wake_at) WHERE status = 'waiting' AND wake_at IS NOT NULL;
CREATE INDEX flow_tokens_event ON flow_tokens (tenant_id, wait_event, customer_id) WHERE status = 'waiting';
CREATE INDEX flow_tokens_stuck ON flow_tokens (updated_at) WHERE status IN ('ready', 'running');
SELECT siyu_tenant_table('flow_tokens');

-- History: one row per visit of a node (the funnel and "what happened to this customer").
CREATE TABLE flow_node_runs (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  instance_id text NOT NULL REFERENCES flow_instances(id),
  flow_id text NOT NULL,
  version integer NOT NULL,
  token_id text NOT NULL,
  step integer NOT NULL,
  node_id text NOT NULL,
  node_type text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'done', 'failed', 'cancelled')),
  outcome text,
  result jsonb,
  error text,
  attempts integer NOT NULL DEFAULT 0,
  entered_at timestamptz NOT NULL DEFAULT now(),
  left_at timestamptz,
  UNIQUE (token_id, step)
);
CREATE INDEX flow_node_runs_instance ON flow_node_runs (instance_id, id);
CREATE INDEX flow_node_runs_flow ON flow_node_runs (tenant_id, flow_id, version, node_id);
SELECT siyu_tenant_table('flow_node_runs');
GRANT USAGE ON SEQUENCE flow_node_runs_id_seq TO siyu_app;

-- Results of external actions (runStep): a retried job replays the stored result instead of calling again.
CREATE TABLE flow_steps (
  tenant_id text NOT NULL REFERENCES tenants(id),
  step_key text NOT NULL,
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, step_key)
);
SELECT siyu_tenant_table('flow_steps');

-- Re-entry: the last start of a flow per customer (once / every_time / cooldown decided atomically on it).
CREATE TABLE flow_entries (
  tenant_id text NOT NULL REFERENCES tenants(id),
  flow_id text NOT NULL REFERENCES flows(id),
  customer_id text NOT NULL,
  last_started_at timestamptz NOT NULL,
  starts integer NOT NULL DEFAULT 1,
  PRIMARY KEY (flow_id, customer_id)
);
SELECT siyu_tenant_table('flow_entries');
