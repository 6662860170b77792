-- CSV imports of customers (SPEC §1): the file is staged row by row in the database, so any worker
-- node can process it, and processing resumes from its checkpoint after a crash.
CREATE TABLE imports (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  status text NOT NULL DEFAULT 'uploading'
    CHECK (status IN ('uploading', 'uploaded', 'running', 'completed', 'failed')),
  encoding text NOT NULL DEFAULT 'utf-8',
  columns text[] NOT NULL DEFAULT '{}',
  sample jsonb NOT NULL DEFAULT '[]',
  mapping jsonb,
  rows_total integer NOT NULL DEFAULT 0,
  -- Checkpoint: rows up to last_line are done (committed with the batch that did them).
  last_line integer NOT NULL DEFAULT 0,
  rows_done integer NOT NULL DEFAULT 0,
  created integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  -- Owners of created customers (an agent's import makes the agent's own customers).
  default_owners text[] NOT NULL DEFAULT '{}',
  error text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX imports_list ON imports (tenant_id, id DESC);
SELECT siyu_tenant_table('imports');

-- Staged rows: written by COPY (no foreign keys, to keep that fast; removed with their import).
-- line_no is the row number as a spreadsheet shows it (the header is row 1).
CREATE TABLE import_rows (
  tenant_id text NOT NULL,
  import_id text NOT NULL,
  line_no integer NOT NULL,
  cells text[] NOT NULL,
  PRIMARY KEY (import_id, line_no)
);
SELECT siyu_tenant_table('import_rows');

CREATE TABLE import_errors (
  tenant_id text NOT NULL,
  import_id text NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
  line_no integer NOT NULL,
  message text NOT NULL,
  cells text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (import_id, line_no)
);
SELECT siyu_tenant_table('import_errors');
