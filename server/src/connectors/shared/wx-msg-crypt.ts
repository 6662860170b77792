import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The WXBizMsgCrypt scheme shared by WeCom callbacks and Official Account safe/compatible mode
 * (protocols/wecom.md §1). AES-256-CBC with IV = key[0..16), PKCS#7 padding to **32-byte** blocks
 * (so Node's auto padding is off), plaintext = random16 ‖ BE32(byte length) ‖ msg ‖ receiveid.
 */

/** Why a message was refused; mirrors the sample libraries' codes so logs read the same. */
export type MsgCryptFailure =
  | "bad_signature" // -40001
  | "bad_aes_key" // -40004
  | "bad_receiveid" // -40005
  | "decrypt_failed" // -40007
  | "bad_buffer"; // -40008

export class MsgCryptError extends Error {
  readonly reason: MsgCryptFailure;
  constructor(reason: MsgCryptFailure, message: string) {
    super(message);
    this.name = "MsgCryptError";
    this.reason = reason;
  }
}

const block = 32;

/** AESKey = base64decode(EncodingAESKey + "="): 43 characters of [A-Za-z0-9] → 32 bytes. */
export function aesKeyFrom(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) {
    throw new MsgCryptError("bad_aes_key", "EncodingAESKey must be 43 letters or digits");
  }
  const key = Buffer.from(`${encodingAesKey}=`, "base64");
  if (key.length !== 32) throw new MsgCryptError("bad_aes_key", "EncodingAESKey does not decode to 32 bytes");
  return key;
}

/** sha1 over the lexicographically sorted parts, lowercase hex. */
export function msgSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  const parts = [token, timestamp, nonce, encrypted].sort();
  return createHash("sha1").update(parts.join("")).digest("hex");
}

/** Constant-time comparison of two hex signatures (a length mismatch is simply false). */
export function signaturesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a.toLowerCase(), "utf8");
  const right = Buffer.from(b.toLowerCase(), "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

export function pad32(data: Buffer): Buffer {
  const amount = block - (data.length % block);
  return Buffer.concat([data, Buffer.alloc(amount, amount)]);
}

export function unpad32(data: Buffer): Buffer {
  const amount = data[data.length - 1] ?? 0;
  if (amount < 1 || amount > block || amount > data.length) {
    throw new MsgCryptError("bad_buffer", "invalid padding after decryption");
  }
  return data.subarray(0, data.length - amount);
}

export interface Decrypted {
  message: string;
  receiveId: string;
  random: Buffer;
}

export class WxMsgCrypt {
  readonly #token: string;
  readonly #key: Buffer;
  readonly #receiveId: string;

  /** `receiveId` is the corpid for WeCom self-built apps, the appid for an Official Account. */
  constructor(options: { token: string; encodingAesKey: string; receiveId: string }) {
    this.#token = options.token;
    this.#key = aesKeyFrom(options.encodingAesKey);
    this.#receiveId = options.receiveId;
  }

  sign(timestamp: string, nonce: string, encrypted: string): string {
    return msgSignature(this.#token, timestamp, nonce, encrypted);
  }

  verify(signature: string, timestamp: string, nonce: string, encrypted: string): boolean {
    return signaturesEqual(this.sign(timestamp, nonce, encrypted), signature);
  }

  /** Checks the signature over the raw base64 text first, then decrypts and checks the receiveid. */
  open(signature: string, timestamp: string, nonce: string, encrypted: string): Decrypted {
    if (!this.verify(signature, timestamp, nonce, encrypted)) {
      throw new MsgCryptError("bad_signature", "msg_signature does not match");
    }
    return this.decrypt(encrypted);
  }

  decrypt(encrypted: string): Decrypted {
    const cipherText = Buffer.from(encrypted, "base64");
    if (cipherText.length === 0 || cipherText.length % block !== 0) {
      throw new MsgCryptError("decrypt_failed", "ciphertext is not a whole number of 32-byte blocks");
    }
    let plain: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-cbc", this.#key, this.#key.subarray(0, 16));
      decipher.setAutoPadding(false);
      plain = unpad32(Buffer.concat([decipher.update(cipherText), decipher.final()]));
    } catch (err) {
      if (err instanceof MsgCryptError) throw err;
      throw new MsgCryptError("decrypt_failed", "AES decryption failed");
    }
    if (plain.length < 20) throw new MsgCryptError("bad_buffer", "decrypted buffer too short");
    const length = plain.readUInt32BE(16);
    if (20 + length > plain.length) throw new MsgCryptError("bad_buffer", "message length exceeds buffer");
    const message = plain.subarray(20, 20 + length).toString("utf8");
    const receiveId = plain.subarray(20 + length).toString("utf8");
    if (receiveId !== this.#receiveId) {
      throw new MsgCryptError("bad_receiveid", "receiveid does not match this account");
    }
    return { message, receiveId, random: plain.subarray(0, 16) };
  }

  /** Encrypts with a fresh random16 unless one is given (tests pin it to compare with vectors). */
  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const body = Buffer.from(message, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length, 0);
    const plain = pad32(Buffer.concat([random, length, body, Buffer.from(this.#receiveId, "utf8")]));
    const cipher = createCipheriv("aes-256-cbc", this.#key, this.#key.subarray(0, 16));
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(plain), cipher.final()]).toString("base64");
  }

  /** The passive encrypted reply envelope (protocols/wecom.md §1.5). */
  seal(
    message: string,
    timestamp: string,
    nonce: string,
    random?: Buffer,
  ): { encrypt: string; signature: string; xml: string } {
    const encrypt = this.encrypt(message, random);
    const signature = this.sign(timestamp, nonce, encrypt);
    const xml = `<xml>\n<Encrypt><![CDATA[${encrypt}]]></Encrypt>\n<MsgSignature><![CDATA[${signature}]]></MsgSignature>\n<TimeStamp>${timestamp}</TimeStamp>\n<Nonce><![CDATA[${nonce}]]></Nonce>\n</xml>`;
    return { encrypt, signature, xml };
  }
}
