-- Outbox (domain events written with the change), processed-event records, and the inbox of raw
-- inbound platform events.

CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  tenant_id text NOT NULL REFERENCES tenants(id),
  type text NOT NULL,
  aggregate_type text NOT NULL,
  aggregate_id text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  -- A dispatcher's lease: it is sending this row's delivery jobs. Another dispatcher skips the row
  -- until the lease runs out, so a dispatcher that died mid-send is taken over after it.
  claimed_until timestamptz,
  dispatched_at timestamptz,
  -- The subscribers it was sent to: an ordered subscriber waits only for earlier events that were
  -- (or are still to be) sent to it, not for events from before it existed.
  delivered_to text[]
);
-- The dispatcher only ever scans what is left to send.
CREATE INDEX outbox_pending ON outbox (id) WHERE dispatched_at IS NULL;
CREATE INDEX outbox_aggregate ON outbox (tenant_id, aggregate_type, aggregate_id, id);
SELECT siyu_tenant_table('outbox');
GRANT USAGE ON SEQUENCE outbox_id_seq TO siyu_app;

CREATE TABLE processed_events (
  tenant_id text NOT NULL REFERENCES tenants(id),
  subscriber text NOT NULL,
  event_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber, event_id)
);
-- Pruning by age (see pruneEvents).
CREATE INDEX processed_events_age ON processed_events (processed_at);
CREATE INDEX outbox_dispatched ON outbox (dispatched_at) WHERE dispatched_at IS NOT NULL;
SELECT siyu_tenant_table('processed_events');

CREATE TABLE inbox (
  id bigserial PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  platform text NOT NULL,
  event_key text NOT NULL,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  UNIQUE (tenant_id, platform, event_key)
);
CREATE INDEX inbox_pending ON inbox (id) WHERE processed_at IS NULL;
SELECT siyu_tenant_table('inbox');
GRANT USAGE ON SEQUENCE inbox_id_seq TO siyu_app;
