import { LinkOutlined, PictureOutlined } from "@ant-design/icons";
import type { WelcomeAttachment } from "@siyu/contracts";
import { Typography } from "antd";
import type { CSSProperties, ReactNode } from "react";
import { useTranslation } from "react-i18next";

/** What the add path does to the text: `{{nickname}}`, `{{channel}}`, `{{staff}}`; others stay as written. */
export function personalise(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => vars[key] ?? whole);
}

const bubble: CSSProperties = {
  position: "relative",
  maxWidth: 220,
  background: "#ffffff",
  borderRadius: 6,
  padding: "8px 10px",
  fontSize: 14,
  lineHeight: 1.5,
  color: "#191919",
  whiteSpace: "pre-wrap",
  wordBreak: "break-word",
};

function Avatar({ label, color }: { label: string; color: string }) {
  return (
    <div
      style={{
        flex: "0 0 36px",
        width: 36,
        height: 36,
        borderRadius: 4,
        background: color,
        color: "#fff",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        fontSize: 15,
      }}
    >
      {label.slice(0, 1)}
    </div>
  );
}

/** One message from the staff member: avatar on the left, a white bubble with WeChat's little tail. */
function Incoming({ staff, children, plain }: { staff: string; children: ReactNode; plain?: boolean }) {
  return (
    <div style={{ display: "flex", gap: 8, alignItems: "flex-start", marginBottom: 12 }}>
      <Avatar label={staff} color="#3b82f6" />
      {plain ? (
        children
      ) : (
        <div style={bubble}>
          <span
            aria-hidden
            style={{
              position: "absolute",
              left: -5,
              top: 12,
              width: 10,
              height: 10,
              background: "#fff",
              transform: "rotate(45deg)",
            }}
          />
          {children}
        </div>
      )}
    </div>
  );
}

function Card({ children }: { children: ReactNode }) {
  return (
    <div style={{ ...bubble, width: 220, padding: 10, whiteSpace: "normal" }}>
      <span
        aria-hidden
        style={{
          position: "absolute",
          left: -5,
          top: 12,
          width: 10,
          height: 10,
          background: "#fff",
          transform: "rotate(45deg)",
        }}
      />
      {children}
    </div>
  );
}

function AttachmentBubble({ a }: { a: WelcomeAttachment }) {
  const { t } = useTranslation();
  if (a.type === "image") {
    return (
      <div
        style={{
          width: 140,
          minHeight: 90,
          borderRadius: 4,
          background: "#d9d9d9",
          display: "flex",
          alignItems: "center",
          justifyContent: "center",
          overflow: "hidden",
        }}
      >
        {a.url ? (
          <img src={a.url} alt="" style={{ maxWidth: 140, display: "block" }} referrerPolicy="no-referrer" />
        ) : (
          <PictureOutlined style={{ fontSize: 28, color: "#8c8c8c" }} />
        )}
      </div>
    );
  }
  if (a.type === "link") {
    return (
      <Card>
        <div style={{ fontSize: 14, color: "#191919", marginBottom: 6 }}>{a.title || a.url}</div>
        <div style={{ display: "flex", gap: 8 }}>
          <div style={{ flex: 1, fontSize: 12, color: "#8c8c8c", lineHeight: 1.4 }}>
            {a.description || a.url}
          </div>
          <div
            style={{
              flex: "0 0 44px",
              height: 44,
              background: "#f0f0f0",
              display: "flex",
              alignItems: "center",
              justifyContent: "center",
              overflow: "hidden",
            }}
          >
            {a.imageUrl ? (
              <img src={a.imageUrl} alt="" style={{ width: 44, height: 44, objectFit: "cover" }} />
            ) : (
              <LinkOutlined style={{ color: "#8c8c8c" }} />
            )}
          </div>
        </div>
      </Card>
    );
  }
  return (
    <Card>
      <div style={{ fontSize: 12, color: "#8c8c8c", marginBottom: 4 }}>{a.appId}</div>
      <div style={{ fontSize: 14, color: "#191919", marginBottom: 6 }}>{a.title}</div>
      <div
        style={{
          height: 110,
          background: "linear-gradient(135deg,#e6f4ff,#f0f5ff)",
          display: "flex",
          alignItems: "center",
          justifyContent: "center",
          color: "#8c8c8c",
          fontSize: 12,
        }}
      >
        {a.page}
      </div>
      <div
        style={{
          borderTop: "1px solid #f0f0f0",
          marginTop: 6,
          paddingTop: 4,
          fontSize: 11,
          color: "#8c8c8c",
        }}
      >
        {t("liveCodes.preview.miniprogram")}
      </div>
    </Card>
  );
}

/** Keys from the content (attachments have no ids); repeats get a counter. */
function keyed(list: WelcomeAttachment[]): [string, WelcomeAttachment][] {
  const seen = new Map<string, number>();
  return list.map((a) => {
    const base = JSON.stringify(a);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return [`${base}#${n}`, a];
  });
}

/**
 * The welcome message as the new customer sees it in WeChat: the staff member's messages in a chat
 * window, the text personalised with a sample nickname. Attachments that are not filled in yet show
 * as placeholders.
 */
export function WelcomePreview({
  text,
  attachments,
  nickname,
  staff,
  channel,
  caption,
}: {
  text: string | undefined;
  attachments: WelcomeAttachment[];
  nickname: string;
  staff: string;
  channel: string;
  caption?: ReactNode;
}) {
  const { t } = useTranslation();
  const rendered = text ? personalise(text, { nickname, channel, staff }) : "";
  const empty = !rendered && attachments.length === 0;
  return (
    <div
      data-testid="welcome-preview"
      style={{
        width: 300,
        borderRadius: 24,
        border: "8px solid #1f1f1f",
        background: "#ededed",
        overflow: "hidden",
        boxShadow: "0 8px 24px rgba(0,0,0,0.12)",
      }}
    >
      <div
        style={{
          background: "#ededed",
          borderBottom: "1px solid #d9d9d9",
          padding: "10px 12px",
          textAlign: "center",
          fontWeight: 500,
          fontSize: 15,
        }}
      >
        {staff}
        <span style={{ color: "#fa8c16", fontSize: 12, marginLeft: 4 }}>@{t("liveCodes.preview.corp")}</span>
      </div>
      <div style={{ padding: "12px 10px", minHeight: 320 }}>
        <div style={{ textAlign: "center", fontSize: 12, color: "#8c8c8c", marginBottom: 12 }}>
          {t("liveCodes.preview.added", { staff })}
        </div>
        {rendered ? (
          <Incoming staff={staff}>
            <span data-testid="welcome-preview-text">{rendered}</span>
          </Incoming>
        ) : null}
        {keyed(attachments).map(([key, a]) => (
          <Incoming key={key} staff={staff} plain>
            <AttachmentBubble a={a} />
          </Incoming>
        ))}
        {empty ? (
          <Typography.Text type="secondary" style={{ display: "block", textAlign: "center", fontSize: 12 }}>
            {t("liveCodes.preview.empty")}
          </Typography.Text>
        ) : null}
      </div>
      {caption ? (
        <div style={{ background: "#f7f7f7", padding: "6px 10px", fontSize: 12, color: "#8c8c8c" }}>
          {caption}
        </div>
      ) : null}
    </div>
  );
}
