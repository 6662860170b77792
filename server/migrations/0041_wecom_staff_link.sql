-- The user ↔ WeCom member map: how each member's Siyu login came to be (`user_link`), and at most
-- one member per login.
--   'email'  — matched by e-mail during an org sync; later syncs leave it as it is.
--   'manual' — set (or cleared: user_id null) by an admin; org syncs never touch it again.
--   null     — never linked; the next org sync may match by e-mail.
ALTER TABLE wecom_staff ADD COLUMN user_link text CHECK (user_link IN ('email', 'manual'));

-- Until now the only way to a link was the e-mail match.
UPDATE wecom_staff SET user_link = 'email' WHERE user_id IS NOT NULL;

-- One login ↔ one member: a task for a login goes to one WeCom account, and a login's customers are
-- those of one member. Where an older sync linked one login to several members (e-mail and biz_mail
-- of different members), the active member linked first keeps it; the others become unlinked and
-- the admin can link them by hand.
UPDATE wecom_staff s SET user_id = NULL, user_link = NULL
  FROM (
    SELECT tenant_id, userid,
           row_number() OVER (PARTITION BY tenant_id, user_id
                              ORDER BY (status = 'active') DESC, created_at, userid) AS n
      FROM wecom_staff WHERE user_id IS NOT NULL
  ) d
 WHERE d.tenant_id = s.tenant_id AND d.userid = s.userid AND d.n > 1;

CREATE UNIQUE INDEX wecom_staff_user ON wecom_staff (tenant_id, user_id) WHERE user_id IS NOT NULL;
