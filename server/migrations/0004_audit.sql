-- Append-only audit log; each row's hash covers the previous row's hash of the same tenant.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  at timestamptz NOT NULL DEFAULT now(),
  actor_id text,
  actor_email text,
  api_key_id text,
  action text NOT NULL,
  target_type text,
  target_id text,
  data jsonb NOT NULL DEFAULT '{}',
  ip text,
  request_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id DESC);
CREATE INDEX audit_log_action ON audit_log (tenant_id, action text_pattern_ops, id DESC);
CREATE INDEX audit_log_target ON audit_log (tenant_id, target_type, target_id, id DESC);
SELECT siyu_tenant_table('audit_log');
-- The app may only read and append.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM siyu_app;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO siyu_app;

-- Even the owner cannot change history without first disabling these triggers (which itself
-- needs the owner, and leaves the hash chain broken for `verify` to find).
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
