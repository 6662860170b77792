-- Dead letters of both job drivers (pg-boss and BullMQ) in one shape, so the console lists them
-- alike. A platform table, not per tenant: jobs span tenants and only operators read it.
CREATE TABLE job_dead_letters (
  id text PRIMARY KEY,
  name text NOT NULL,
  queue text NOT NULL,
  data jsonb,
  error text NOT NULL,
  attempts integer NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  -- Set by retryDead: the row stays for the record but no longer counts as dead.
  retried_at timestamptz
);
CREATE INDEX job_dead_letters_open ON job_dead_letters (queue, failed_at DESC) WHERE retried_at IS NULL;
