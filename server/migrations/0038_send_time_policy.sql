-- Send-time contact policy: a template send whose recipient opted out between the batch's creation
-- and the actual send is `skipped` (policy_reason says why) and never reaches WeChat; `blocked` stays
-- the refusal at creation.
ALTER TABLE oa_template_sends DROP CONSTRAINT oa_template_sends_status_check;
ALTER TABLE oa_template_sends ADD CONSTRAINT oa_template_sends_status_check
  CHECK (status IN ('sending', 'sent', 'success', 'failed_user_block', 'failed_system', 'rejected', 'blocked',
                    'skipped'));

-- Menu removals an operator acts on: a failed removal is retried (each retry a fresh stored step and
-- job, keyed by `removal_retries`) or dismissed (Siyu forgets it; WeChat may still have the menu).
ALTER TABLE oa_menus ADD COLUMN removal_retries integer NOT NULL DEFAULT 0;
ALTER TABLE oa_menus DROP CONSTRAINT oa_menus_removal_check;
ALTER TABLE oa_menus ADD CONSTRAINT oa_menus_removal_check
  CHECK (removal IN ('pending', 'removed', 'failed', 'dismissed'));
