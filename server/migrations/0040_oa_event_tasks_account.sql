-- The account an Official Account callback was verified for. A tenant that switches accounts may
-- still have the old account's events waiting: they are set aside ('ignored', with the reason), not
-- applied to the new account's followers or answered with its token. NULL (rows from before) = the
-- connected account.
ALTER TABLE oa_event_tasks ADD COLUMN app_id text;
