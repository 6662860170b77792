import { brandColor } from "./theme.ts";

/** The 私 mark plus the product name. `light` for dark backgrounds. */
export function Logo({
  size = 28,
  light = false,
  collapsed = false,
}: {
  size?: number;
  light?: boolean;
  collapsed?: boolean;
}) {
  return (
    <span style={{ display: "inline-flex", alignItems: "center", gap: 10 }}>
      <span
        style={{
          width: size,
          height: size,
          borderRadius: size / 4,
          background: light ? "#fff" : brandColor,
          color: light ? brandColor : "#fff",
          display: "inline-flex",
          alignItems: "center",
          justifyContent: "center",
          fontWeight: 700,
          fontSize: size * 0.58,
          flex: "none",
        }}
      >
        私
      </span>
      {collapsed ? null : (
        <span style={{ color: "#fff", fontWeight: 600, fontSize: size * 0.6, whiteSpace: "nowrap" }}>
          私域 Siyu
        </span>
      )}
    </span>
  );
}
