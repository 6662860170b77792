/**
 * Encryption at rest.
 *
 * Ciphertext format (versioned, self-describing, ASCII):
 *   `enc:v1:<alg>:<keyVersion>:<base64url payload>`
 *   alg `a` = AES-256-GCM (payload = 12-byte IV | 16-byte tag | ciphertext);
 *   alg `s` = SM4-CBC + HMAC-SM3 encrypt-then-MAC (payload = 16-byte IV | 32-byte MAC | ciphertext).
 * Data keys are random 32-byte keys stored in `encryption_keys`, wrapped by the master key
 * (SIYU_MASTER_KEY, or `<data dir>/master.key` generated once with mode 0600).
 * Blind index: HMAC-SHA256 with a separate index key over a normalised value, hex; lets rows be
 * found by phone without storing the phone in clear.
 */
export type Cipher = "aes-256-gcm" | "sm4";

export interface CryptoService {
  encrypt(plaintext: string, options?: { cipher?: Cipher }): string;
  decrypt(ciphertext: string): string;
  /** True when `value` is in the ciphertext format. */
  isEncrypted(value: string): boolean;
  /** Deterministic keyed hash for lookups; `kind` separates domains (`phone`, `email`). */
  blindIndex(kind: string, normalisedValue: string): string;
  /** Current data-key version. */
  readonly keyVersion: number;
}
