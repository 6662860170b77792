-- Webhook idempotency keys are pruned daily by age (flows.webhook-calls.prune, 7 days): the index
-- lets each batch find the oldest rows without scanning the whole table.
CREATE INDEX flow_webhook_calls_age ON flow_webhook_calls (created_at);
