-- Wiring the engines built in parallel together.

-- OA template sends go through the contact policy (SPEC §6): the batch's purpose and the reservation
-- ref (a flow step's `flow:<step key>`, else the batch id); a refused recipient is `blocked` with the reason.
ALTER TABLE oa_template_batches ADD COLUMN purpose text NOT NULL DEFAULT 'marketing'
  CHECK (purpose IN ('marketing', 'transactional'));
ALTER TABLE oa_template_batches ADD COLUMN policy_ref text;
ALTER TABLE oa_template_batches ADD COLUMN blocked integer NOT NULL DEFAULT 0;
ALTER TABLE oa_template_sends DROP CONSTRAINT oa_template_sends_status_check;
ALTER TABLE oa_template_sends ADD CONSTRAINT oa_template_sends_status_check
  CHECK (status IN ('sending', 'sent', 'success', 'failed_user_block', 'failed_system', 'rejected', 'blocked'));
ALTER TABLE oa_template_sends ADD COLUMN policy_reason text;

-- Follow-ups are tasks: one task inbox (/tasks, /m/tasks) and the WeCom sidebar read the same rows.
-- `source` says what made a task outside flows (`oa_message`: a cross-engine rule), `source_key` makes
-- a redelivered event create nothing, `staff_userid` is the WeCom member it is for.
ALTER TABLE tasks ADD COLUMN source text;
ALTER TABLE tasks ADD COLUMN source_key text;
ALTER TABLE tasks ADD COLUMN staff_userid text;
CREATE UNIQUE INDEX tasks_source_key ON tasks (tenant_id, source_key) WHERE source_key IS NOT NULL;
CREATE INDEX tasks_customer ON tasks (tenant_id, customer_id, status) WHERE customer_id IS NOT NULL;

INSERT INTO tasks (id, tenant_id, type, title, description, customer_id, status, assignee_user_ids,
                   assignee_roles, outcomes, outcome, completed_by, created_at, completed_at, source,
                   source_key, staff_userid)
SELECT 'tsk_' || regexp_replace(f.id, '^fup_', ''), f.tenant_id, 'task', f.title, f.detail, f.customer_id,
       CASE WHEN f.status = 'done' THEN 'completed' ELSE 'open' END,
       CASE WHEN s.user_id IS NULL THEN '{}'::text[] ELSE ARRAY[s.user_id] END,
       CASE WHEN s.user_id IS NULL THEN '{admin}'::text[] ELSE '{}'::text[] END,
       '{done}', CASE WHEN f.status = 'done' THEN 'done' END, f.done_by, f.created_at, f.done_at,
       f.source, f.source_event_id, f.owner_userid
  FROM follow_ups f
  LEFT JOIN wecom_staff s ON s.tenant_id = f.tenant_id AND s.userid = f.owner_userid;

DROP TABLE follow_ups;
