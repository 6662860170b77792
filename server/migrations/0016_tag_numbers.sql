-- Customers reference tags by a per-row integer instead of the 31-character text id: at 1M customers
-- × 20 tags the array column shrinks from ~780 MB to ~135 MB and a count over popular tags
-- (`tag_nums @> … AND NOT tag_nums @> …`, GIN) from 370 ms to 110 ms. The text id (`tag_…`) stays
-- the public id everywhere in the API; `num` never leaves the database layer.
ALTER TABLE tags ADD COLUMN num integer;
CREATE SEQUENCE tags_num_seq AS integer OWNED BY tags.num;
UPDATE tags SET num = s.n
  FROM (SELECT id, nextval('tags_num_seq') AS n FROM (SELECT id FROM tags ORDER BY created_at, id) o) s
 WHERE tags.id = s.id;
ALTER TABLE tags ALTER COLUMN num SET DEFAULT nextval('tags_num_seq');
ALTER TABLE tags ALTER COLUMN num SET NOT NULL;
-- Unique globally (one sequence); the index is per tenant to match every lookup's tenant filter.
CREATE UNIQUE INDEX tags_num ON tags (tenant_id, num);
GRANT USAGE ON SEQUENCE tags_num_seq TO siyu_app;

-- Tag numbers, denormalised for segment evaluation (GIN: A AND B AND NOT C in ms at 1M rows).
ALTER TABLE customers ADD COLUMN tag_nums int4[] NOT NULL DEFAULT '{}';
UPDATE customers c
   SET tag_nums = ARRAY(
         SELECT t.num FROM unnest(c.tag_ids) WITH ORDINALITY AS u(id, ord)
           JOIN tags t ON t.id = u.id AND t.tenant_id = c.tenant_id
          ORDER BY u.ord)
 WHERE c.tag_ids <> '{}';
DROP INDEX customers_tags;
ALTER TABLE customers DROP COLUMN tag_ids;
CREATE INDEX customers_tags ON customers USING gin (tag_nums);

-- Merge snapshots (restored by undo) hold the customer row as it was: carry them over too.
UPDATE customer_merges m
   SET target_before = (m.target_before - 'tag_ids') || jsonb_build_object('tag_nums', coalesce(
         (SELECT jsonb_agg(t.num ORDER BY u.ord)
            FROM jsonb_array_elements_text(m.target_before -> 'tag_ids') WITH ORDINALITY AS u(id, ord)
            JOIN tags t ON t.id = u.id AND t.tenant_id = m.tenant_id), '[]'::jsonb)),
       source_before = (m.source_before - 'tag_ids') || jsonb_build_object('tag_nums', coalesce(
         (SELECT jsonb_agg(t.num ORDER BY u.ord)
            FROM jsonb_array_elements_text(m.source_before -> 'tag_ids') WITH ORDINALITY AS u(id, ord)
            JOIN tags t ON t.id = u.id AND t.tenant_id = m.tenant_id), '[]'::jsonb))
 WHERE jsonb_typeof(m.target_before -> 'tag_ids') = 'array'
   AND jsonb_typeof(m.source_before -> 'tag_ids') = 'array';
