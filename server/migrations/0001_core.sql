-- Core: the application role, the row-level-security helper, tenants and IAM tables.

-- Application queries run as this plain role (never a superuser: superusers bypass RLS).
DO $$ BEGIN
  CREATE ROLE siyu_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
  EXECUTE format('GRANT siyu_app TO %I', current_user);
EXCEPTION WHEN others THEN NULL; -- superusers need no membership
END $$;
GRANT USAGE ON SCHEMA public TO siyu_app;

-- Every tenant table calls this once: rows are visible and writable only inside their tenant.
-- A transaction that has not set app.tenant_id sees no rows at all.
CREATE OR REPLACE FUNCTION siyu_tenant_table(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', t);
  EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true))$p$, t);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO siyu_app', t);
END $$;

CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  timezone text NOT NULL DEFAULT 'Asia/Shanghai',
  cipher text NOT NULL DEFAULT 'aes-256-gcm' CHECK (cipher IN ('aes-256-gcm', 'sm4')),
  settings jsonb NOT NULL DEFAULT '{}',
  demo boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
  USING (id = current_setting('app.tenant_id', true))
  WITH CHECK (id = current_setting('app.tenant_id', true));
GRANT SELECT, UPDATE ON tenants TO siyu_app;

CREATE TABLE departments (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  parent_id text REFERENCES departments(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX departments_tenant ON departments (tenant_id);
SELECT siyu_tenant_table('departments');

CREATE TABLE users (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  email text NOT NULL,
  name text NOT NULL,
  password_hash text NOT NULL,
  roles text[] NOT NULL DEFAULT '{}',
  department_id text REFERENCES departments(id),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  platform_admin boolean NOT NULL DEFAULT false,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
-- One login per e-mail across the platform, so login needs no tenant.
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_tenant ON users (tenant_id, id);
SELECT siyu_tenant_table('users');

CREATE TABLE sessions (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  user_id text NOT NULL REFERENCES users(id),
  token_hash text NOT NULL UNIQUE,
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
SELECT siyu_tenant_table('sessions');

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL DEFAULT '{}',
  created_by text REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);
SELECT siyu_tenant_table('api_keys');

-- Per-tenant grants of each built-in role; absent rows mean the defaults from contracts/roles.ts.
CREATE TABLE role_permissions (
  tenant_id text NOT NULL REFERENCES tenants(id),
  role text NOT NULL,
  permissions text[] NOT NULL,
  data_scope text NOT NULL CHECK (data_scope IN ('own', 'department', 'all')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, role)
);
SELECT siyu_tenant_table('role_permissions');

-- Failed logins by e-mail and by address, for rate limiting before any tenant is known.
CREATE TABLE login_attempts (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  ip text,
  success boolean NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email ON login_attempts (lower(email), at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);
