import type { Platform } from "../../platform/platform.ts";
import { installTemplate } from "./ops/install-template.ts";
import { flowTemplates } from "./templates/index.ts";

/**
 * Gives each demo tenant the template library as draft flows, once (a tenant with any demo install
 * is left alone, so restarts and several processes booting together add nothing). Drafts, not
 * published: nothing reaches the demo customers until a user publishes a flow, and then every
 * marketing message still goes through the contact policy.
 */
export async function seedDemoFlowTemplates(platform: Platform): Promise<void> {
  const tenants = await platform.db.system((s) =>
    s.query<{ id: string }>("select id from tenants where demo order by created_at"),
  );
  for (const tenant of tenants) {
    await platform.db.tenant(tenant.id, async (s) => {
      await s.query("select pg_advisory_xact_lock(hashtext($1))", [`flow-templates-demo:${tenant.id}`]);
      if ((await s.query("select 1 from flow_template_installs where source = 'demo' limit 1")).length)
        return;
      const caller = { platform, actor: { email: "system:demo" }, audit: platform.audit };
      for (const t of flowTemplates) await installTemplate(s, caller, t.key, { source: "demo" });
    });
  }
}
