export { DecryptError } from "./ciphers.ts";
export { type EncryptedColumn, encryptedColumns, registerEncryptedColumn } from "./columns.ts";
export {
  type CryptoRuntime,
  createCrypto,
  openCrypto,
  readTenantCipher,
  rewrapDataKeys,
} from "./crypto.service.ts";
export type { Cipher, CryptoService } from "./crypto.ts";
export {
  listRotations,
  type RotationInfo,
  type RotationStatus,
  rotateKeys,
  runningRotations,
  runRotationBatch,
  startKeyRotation,
} from "./key-rotation.ts";
export { type KeyLog, loadMasterKey, parseMasterKey } from "./master-key.ts";
