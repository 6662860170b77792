export { channelsModule } from "./channels.module.ts";
export { createOaQrCode } from "./oa-qr-codes.service.ts";
