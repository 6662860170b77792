export {
  applyMasks,
  type Masker,
  type MaskRule,
  maskAddress,
  maskEmail,
  maskName,
  maskPhone,
} from "./masking.ts";
