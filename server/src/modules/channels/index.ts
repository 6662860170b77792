export { channelsModule } from "./channels.module.ts";
