-- Official Account polish: followers belong to one account, and a menu deleted in Siyu leaves WeChat.

-- An openid is unique only inside its appid (protocols/official-account.md §8): a tenant that connects
-- another account may meet the same openid string for a different person. Followers are keyed by the
-- account, so the old account's followers keep their customer and attribution. Existing rows take the
-- appid their customer's oa_openid identity was scoped to (the account they really came from, even if
-- the tenant switched before this migration), else the tenant's current account.
ALTER TABLE oa_followers ADD COLUMN app_id text;
UPDATE oa_followers f SET app_id = coalesce(
  (SELECT min(i.scope) FROM customer_identities i
    WHERE i.tenant_id = f.tenant_id AND i.type = 'oa_openid' AND i.value = f.openid AND i.scope <> ''
   HAVING count(DISTINCT i.scope) = 1),
  (SELECT s.app_id FROM oa_settings s WHERE s.tenant_id = f.tenant_id),
  '');
ALTER TABLE oa_followers ALTER COLUMN app_id SET NOT NULL;
ALTER TABLE oa_followers DROP CONSTRAINT oa_followers_pkey;
ALTER TABLE oa_followers ADD PRIMARY KEY (tenant_id, app_id, openid);
DROP INDEX oa_followers_list;
CREATE INDEX oa_followers_list ON oa_followers (tenant_id, app_id, updated_at DESC, openid);

-- A published menu deleted in Siyu is removed from WeChat by a job (menu/delconditional with its
-- menuid; menu/delete for the default). Until then the deleted row stays listed: `pending`, or
-- `failed` with the error WeChat gave; `removed` once WeChat no longer has it.
ALTER TABLE oa_menus ADD COLUMN removal text CHECK (removal IN ('pending', 'removed', 'failed'));
CREATE INDEX oa_menus_removal ON oa_menus (tenant_id) WHERE removal IN ('pending', 'failed');
