import { Tag, Tooltip } from "antd";
import type { CustomerTag } from "./customers.api.ts";

/** A customer's tags in their own colours, the group in the tooltip. */
export function TagChips({ tags, max }: { tags: CustomerTag[]; max?: number }) {
  const shown = max === undefined ? tags : tags.slice(0, max);
  const rest = tags.length - shown.length;
  return (
    <>
      {shown.map((tag) => (
        <Tooltip key={tag.id} title={tag.group ?? undefined}>
          <Tag color={tag.color || undefined} style={{ marginBlock: 2 }}>
            {tag.name}
          </Tag>
        </Tooltip>
      ))}
      {rest > 0 ? <Tag>+{rest}</Tag> : null}
    </>
  );
}
