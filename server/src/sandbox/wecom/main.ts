import { join } from "node:path";
import { loadConfig } from "../../platform/config/config.ts";
import { startWecomSandbox } from "./standalone.ts";

// `npm run sandbox:wecom`: the simulator alone on PORT (default 4010), persisted under
// `$SIYU_DATA_DIR/sandbox-wecom`, with one demo corp on first start.
const config = loadConfig({ PORT: "4010", ...process.env });
const dataDir = join(config.dataDir, "sandbox-wecom");
const s = await startWecomSandbox({
  port: config.port,
  host: config.host,
  dataDir,
  onError: (err, what) => console.error(`wecom sandbox: ${what}`, err),
});
const corp = s.sandbox.corps.values().next().value ?? s.sandbox.createCorp({ corpName: "思域演示企业" });
console.log(`WeCom sandbox on ${s.url} (data: ${dataDir})`);
console.log(`corpid=${corp.corpId} appSecret=${corp.appSecret} contactSecret=${corp.contactSecret}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void s.close().then(() => process.exit(0));
  });
}
