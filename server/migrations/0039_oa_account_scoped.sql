-- Official Account: everything that names the account's own ids belongs to one account (appid), as the
-- followers do since 0037. A tenant that connects another account starts that account clean (no tag
-- map, menus unpublished, no QR codes, no templates) while the first account's rows keep their appid:
-- its history and statistics stay attributed to it, and connecting it again brings its state back.
-- `app_id` '' means "no account was connected" (rows made before any; adopted by the first one).

-- The account of a tenant row that cannot tell: the one connected now, else none.
CREATE FUNCTION pg_temp.oa_app(t text) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT coalesce((SELECT app_id FROM oa_settings WHERE tenant_id = t), '') $$;
-- The account whose followers have this openid, when exactly one does (0037 keyed followers by it).
CREATE FUNCTION pg_temp.oa_app_of_openid(t text, o text) RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT min(app_id) FROM oa_followers WHERE tenant_id = t AND openid = o HAVING count(DISTINCT app_id) = 1 $$;

-- Siyu tag → OA tag id: OA tag ids are the account's. The new account gets its own on the next sync.
ALTER TABLE oa_tag_map ADD COLUMN app_id text;
UPDATE oa_tag_map SET app_id = pg_temp.oa_app(tenant_id);
ALTER TABLE oa_tag_map ALTER COLUMN app_id SET NOT NULL;
ALTER TABLE oa_tag_map DROP CONSTRAINT oa_tag_map_pkey;
ALTER TABLE oa_tag_map ADD PRIMARY KEY (tenant_id, app_id, tag_name);

-- Menus are the tenant's designs; their publish state (status, menuid, published_at, removal) is one
-- account's. oa_menus holds the state for the account in `app_id` (the connected one); switching
-- accounts parks it in oa_menu_account_states and brings back the new account's (or draft), so a
-- menuid is only ever used with the account that gave it.
ALTER TABLE oa_menus ADD COLUMN app_id text;
UPDATE oa_menus SET app_id = pg_temp.oa_app(tenant_id);
ALTER TABLE oa_menus ALTER COLUMN app_id SET NOT NULL;
-- When the design (name, tag, buttons) last changed: a state brought back is a draft if it changed since.
ALTER TABLE oa_menus ADD COLUMN edited_at timestamptz;
UPDATE oa_menus SET edited_at = updated_at;
ALTER TABLE oa_menus ALTER COLUMN edited_at SET NOT NULL;
ALTER TABLE oa_menus ALTER COLUMN edited_at SET DEFAULT now();

CREATE TABLE oa_menu_account_states (
  tenant_id text NOT NULL REFERENCES tenants(id),
  menu_id text NOT NULL REFERENCES oa_menus(id),
  app_id text NOT NULL,
  status text NOT NULL,
  menuid text,
  error text,
  published_at timestamptz,
  removal text,
  removal_retries integer NOT NULL DEFAULT 0,
  parked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, app_id, menu_id)
);
SELECT siyu_tenant_table('oa_menu_account_states');

-- Parametric QR codes: the ticket and scene are the account's. A code's account is the one its
-- followers came to, when they all came to one, else the tenant's account.
ALTER TABLE oa_qr_codes ADD COLUMN app_id text;
UPDATE oa_qr_codes c SET app_id = coalesce(
  (SELECT min(f.app_id) FROM oa_qr_events e
     JOIN oa_followers f ON f.tenant_id = e.tenant_id AND f.openid = e.openid
    WHERE e.tenant_id = c.tenant_id AND e.qr_code_id = c.id
   HAVING count(DISTINCT f.app_id) = 1),
  pg_temp.oa_app(c.tenant_id));
ALTER TABLE oa_qr_codes ALTER COLUMN app_id SET NOT NULL;
DROP INDEX oa_qr_codes_scene;
CREATE UNIQUE INDEX oa_qr_codes_scene ON oa_qr_codes (tenant_id, app_id, scene);

-- Facts of a code are its account's (an openid is the account's too).
ALTER TABLE oa_qr_events ADD COLUMN app_id text;
UPDATE oa_qr_events e SET app_id = c.app_id FROM oa_qr_codes c WHERE c.id = e.qr_code_id;
ALTER TABLE oa_qr_events ALTER COLUMN app_id SET NOT NULL;
DROP INDEX oa_qr_events_follower;
CREATE INDEX oa_qr_events_follower ON oa_qr_events (tenant_id, app_id, openid, at DESC);

-- Tracked-link tokens of a follower not yet a customer name an openid, so its account too (a
-- customer's token is the person's, whichever account).
ALTER TABLE content_recipients ADD COLUMN app_id text;
UPDATE content_recipients SET app_id = coalesce(pg_temp.oa_app_of_openid(tenant_id, openid), pg_temp.oa_app(tenant_id))
 WHERE openid IS NOT NULL;
ALTER TABLE content_recipients ADD CONSTRAINT content_recipients_openid_app CHECK (openid IS NULL OR app_id IS NOT NULL);
DROP INDEX content_recipients_openid;
CREATE UNIQUE INDEX content_recipients_openid ON content_recipients (tenant_id, app_id, openid) WHERE customer_id IS NULL;

-- Templates (private templates) are the account's; so are sends (openid, msgid) and their batches.
ALTER TABLE oa_templates ADD COLUMN app_id text;
UPDATE oa_templates SET app_id = pg_temp.oa_app(tenant_id);
ALTER TABLE oa_templates ALTER COLUMN app_id SET NOT NULL;
DROP INDEX oa_templates_template;
CREATE UNIQUE INDEX oa_templates_template ON oa_templates (tenant_id, app_id, template_id) WHERE deleted_at IS NULL;

ALTER TABLE oa_template_sends ADD COLUMN app_id text;
UPDATE oa_template_sends SET app_id = coalesce(pg_temp.oa_app_of_openid(tenant_id, openid), pg_temp.oa_app(tenant_id));
ALTER TABLE oa_template_sends ALTER COLUMN app_id SET NOT NULL;
DROP INDEX oa_template_sends_msgid;
CREATE UNIQUE INDEX oa_template_sends_msgid ON oa_template_sends (tenant_id, app_id, msgid) WHERE msgid IS NOT NULL;

ALTER TABLE oa_template_batches ADD COLUMN app_id text;
UPDATE oa_template_batches b SET app_id = coalesce(
  (SELECT min(s.app_id) FROM oa_template_sends s WHERE s.tenant_id = b.tenant_id AND s.batch_id = b.id
   HAVING count(DISTINCT s.app_id) = 1),
  pg_temp.oa_app(b.tenant_id));
ALTER TABLE oa_template_batches ALTER COLUMN app_id SET NOT NULL;

-- A follower sync walks one account's follower list (its cursor is that account's next_openid).
ALTER TABLE oa_sync_runs ADD COLUMN app_id text;
UPDATE oa_sync_runs SET app_id = pg_temp.oa_app(tenant_id);
ALTER TABLE oa_sync_runs ALTER COLUMN app_id SET NOT NULL;
