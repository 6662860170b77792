-- Marketing SOP and industry templates (SPEC §6, issue 7).

-- A flow's WeCom message reserves its touch with the contact policy under the flow step's ref; the
-- mass-message job re-reserves under the same ref, so the customer is counted once (NULL: the
-- message's own id, as before). `purpose` lets a transactional message (service progress) through
-- caps and quiet hours when the channel exempts them.
ALTER TABLE wecom_mass_messages ADD COLUMN policy_ref text;
ALTER TABLE wecom_mass_messages ADD COLUMN purpose text NOT NULL DEFAULT 'marketing'
  CHECK (purpose IN ('marketing', 'transactional'));

-- Coupon grants issued by flows (`coupon.issue`): a PLACEHOLDER ledger until the commerce hub has
-- real coupons. A grant is also a `coupon.issued` fact on the customer's timeline; redeeming it is a
-- `coupon.redeemed` fact, which flows can wait for.
CREATE TABLE coupon_grants (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  customer_id text NOT NULL,
  title text NOT NULL,
  -- Face value in fen (0: a gift or a free service, described by the title).
  amount_fen bigint NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
  status text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'redeemed', 'expired')),
  expires_at timestamptz,
  -- The flow step that issued it: one grant per step, however often the step is retried.
  ref text NOT NULL,
  flow_id text,
  flow_instance_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  redeemed_at timestamptz,
  UNIQUE (tenant_id, ref)
);
CREATE INDEX coupon_grants_customer ON coupon_grants (tenant_id, customer_id, created_at DESC);
SELECT siyu_tenant_table('coupon_grants');

-- Which template each flow was installed from (the template library shows installs; the demo seed
-- installs once per tenant).
CREATE TABLE flow_template_installs (
  tenant_id text NOT NULL REFERENCES tenants(id),
  flow_id text NOT NULL,
  template_key text NOT NULL,
  source text NOT NULL DEFAULT 'user' CHECK (source IN ('user', 'demo')),
  installed_by text,
  installed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, flow_id)
);
CREATE INDEX flow_template_installs_key ON flow_template_installs (tenant_id, template_key, installed_at DESC);
SELECT siyu_tenant_table('flow_template_installs');
