-- Data-encryption keys, each wrapped by the master key. Only the system (never siyu_app) reads them.
CREATE TABLE encryption_keys (
  id text PRIMARY KEY,
  purpose text NOT NULL CHECK (purpose IN ('data', 'index')),
  version integer NOT NULL,
  wrapped_key text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (purpose, version)
);

CREATE TABLE key_rotations (
  id text PRIMARY KEY,
  from_version integer NOT NULL,
  to_version integer NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  rows_done bigint NOT NULL DEFAULT 0,
  rows_total bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error text
);
