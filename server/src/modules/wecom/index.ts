export { wecomModule } from "./wecom.module.ts";
