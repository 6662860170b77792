import { Flex, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { paletteMime } from "./flow-canvas.tsx";
import { nodeLook, paletteTypes } from "./node-types.tsx";

/**
 * The node types to drag onto the canvas. A click adds the node too (at the canvas centre, or under
 * the selected node), for touchpads and keyboards where dragging is awkward.
 */
export function NodePalette({ onAdd, disabled }: { onAdd: (type: string) => void; disabled?: boolean }) {
  const { t } = useTranslation();
  return (
    <Flex vertical gap={6} data-testid="flow-palette">
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t("flows.palette.hint")}
      </Typography.Text>
      {paletteTypes.map((type) => (
        <button
          type="button"
          key={type}
          draggable={!disabled}
          data-testid={`palette-${type}`}
          title={t(`flows.typeHelp.${type}`)}
          onDragStart={(e) => {
            e.dataTransfer.setData(paletteMime, type);
            e.dataTransfer.setData("text/plain", type);
            e.dataTransfer.effectAllowed = "move";
          }}
          onClick={() => !disabled && onAdd(type)}
          style={{
            display: "flex",
            alignItems: "center",
            gap: 8,
            padding: "6px 10px",
            border: "1px solid #f0f0f0",
            borderLeft: `3px solid ${nodeLook[type].color}`,
            borderRadius: 6,
            background: "#fff",
            cursor: disabled ? "not-allowed" : "grab",
            opacity: disabled ? 0.5 : 1,
            userSelect: "none",
            textAlign: "left",
            font: "inherit",
          }}
        >
          <span style={{ color: nodeLook[type].color, fontSize: 16 }}>{nodeLook[type].icon}</span>
          <div style={{ lineHeight: 1.3 }}>
            <div style={{ fontWeight: 500 }}>{t(`flows.types.${type}`)}</div>
            <div style={{ color: "#8c8c8c", fontSize: 11 }}>{t(`flows.typeHelp.${type}`)}</div>
          </div>
        </button>
      ))}
    </Flex>
  );
}
