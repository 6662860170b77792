import { WxMsgCrypt } from "../../../connectors/shared/wx-msg-crypt.ts";
import { buildWxXml } from "../../../connectors/shared/xml.ts";

/** A corp as WeCom would sign for it: builds encrypted callback requests like WeCom's servers do. */
export interface TestCorp {
  corpId: string;
  token: string;
  encodingAesKey: string;
}

export function signedEvent(
  corp: TestCorp,
  fields: Record<string, string | number | string[] | undefined>,
  options: { timestamp?: string; nonce?: string; receiveId?: string } = {},
): { query: string; body: string; encrypt: string } {
  const crypt = new WxMsgCrypt({
    token: corp.token,
    encodingAesKey: corp.encodingAesKey,
    receiveId: options.receiveId ?? corp.corpId,
  });
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9));
  const plain = buildWxXml({ ToUserName: corp.corpId, FromUserName: "sys", MsgType: "event", ...fields });
  const encrypt = crypt.encrypt(plain);
  const signature = crypt.sign(timestamp, nonce, encrypt);
  const body = `<xml><ToUserName><![CDATA[${corp.corpId}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>`;
  return {
    query: `msg_signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`,
    body,
    encrypt,
  };
}
