import { join } from "node:path";
import { loadConfig } from "../../platform/config/config.ts";
import { startOaSandbox } from "./standalone.ts";

// `npm run sandbox:oa`: the simulator alone on PORT (default 4011), persisted under
// `$SIYU_DATA_DIR/sandbox-oa`, with one demo account on first start.
const config = loadConfig({ PORT: "4011", ...process.env });
const dataDir = join(config.dataDir, "sandbox-oa");
const s = await startOaSandbox({
  port: config.port,
  host: config.host,
  dataDir,
  onError: (err, what) => console.error(`OA sandbox: ${what}`, err),
});
const account =
  s.sandbox.accounts.values().next().value ?? s.sandbox.createAccount({ name: "思域演示服务号" });
console.log(`Official Account sandbox on ${s.url} (data: ${dataDir})`);
// Benches and scripts wait for this line.
console.log(`ready: ${s.url}`);
console.log(`appid=${account.appId} secret=${account.secret} originalId=${account.originalId}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void s.close().then(() => process.exit(0));
  });
}
