-- Weak-match suggestions (same name and city, same name and company e-mail domain) look customers up
-- by exact name, once per customer created, and per import batch for thousands at once. The trigram
-- index serves `contains` searches, not equality at this rate (a 5,000-row batch took seconds).
CREATE INDEX customers_name ON customers (tenant_id, name)
  WHERE name <> '' AND merged_into IS NULL AND deleted_at IS NULL;
