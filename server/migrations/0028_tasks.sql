-- Staff tasks (待办): approvals and human tasks of flows, and tasks created by flow actions.

CREATE TABLE tasks (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  type text NOT NULL CHECK (type IN ('approval', 'task')),
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  customer_id text,
  flow_id text,
  flow_instance_id text,
  node_id text,
  -- The token and step that wait on it: completing the task moves exactly that visit on.
  token_id text,
  step integer,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'cancelled')),
  assignee_user_ids text[] NOT NULL DEFAULT '{}',
  assignee_roles text[] NOT NULL DEFAULT '{}',
  outcomes text[] NOT NULL DEFAULT '{done}',
  -- any: the first decision decides; all: `required` approvals, any rejection rejects.
  mode text NOT NULL DEFAULT 'any' CHECK (mode IN ('any', 'all')),
  required integer NOT NULL DEFAULT 1,
  decisions jsonb NOT NULL DEFAULT '[]',
  outcome text,
  comment text,
  escalated boolean NOT NULL DEFAULT false,
  due_at timestamptz,
  completed_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  UNIQUE (token_id, step)
);
CREATE INDEX tasks_open ON tasks (tenant_id, created_at DESC, id) WHERE status = 'open';
CREATE INDEX tasks_assignees ON tasks USING gin (assignee_user_ids) WHERE status = 'open';
CREATE INDEX tasks_instance ON tasks (flow_instance_id) WHERE flow_instance_id IS NOT NULL;
SELECT siyu_tenant_table('tasks');
