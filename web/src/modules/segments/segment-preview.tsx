import { Alert, Card, Empty, Flex, Spin, Statistic, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ApiError } from "../../api/client.ts";
import { useTags } from "../customers/customers.api.ts";
import {
  type ExpressionErrorDetails,
  type SegmentPreview as Preview,
  previewSegment,
} from "./segments.api.ts";

/** The expression with a caret under the position the parser stopped at. */
function ErrorPosition({ expression, details }: { expression: string; details: ExpressionErrorDetails }) {
  const { t } = useTranslation();
  const pos = Math.max(0, Math.min(details.position ?? 0, expression.length));
  const expected = Array.isArray(details.expected) ? details.expected.join(", ") : details.expected;
  return (
    <>
      <pre
        style={{ margin: "8px 0 0", fontSize: 12, whiteSpace: "pre", overflow: "auto" }}
        data-testid="segment-error-position"
      >
        {expression}
        {"\n"}
        {" ".repeat(pos)}^
      </pre>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t("customers.segment.errorAt", { position: pos + 1 })}
        {expected ? ` · ${t("customers.segment.expected", { expected })}` : ""}
      </Typography.Text>
    </>
  );
}

/** A live count of who matches the expression (debounced), with a few of them. */
export function SegmentPreview({ expression }: { expression: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<{ loading: boolean; data?: Preview; error?: unknown }>({
    loading: false,
  });
  const text = expression.trim();

  useEffect(() => {
    if (!text) {
      setState({ loading: false });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(() => {
      previewSegment(text, controller.signal).then(
        (data) => setState({ loading: false, data }),
        (error: unknown) => {
          if (error instanceof DOMException && error.name === "AbortError") return;
          setState({ loading: false, error });
        },
      );
    }, 500);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text]);

  const tags = useTags();
  const tagIndex = new Map<string, { name: string; color?: string }>();
  for (const tag of tags.data?.items ?? []) {
    tagIndex.set(tag.id, tag);
    tagIndex.set(tag.name, tag);
  }
  const error = state.error;
  const details =
    error instanceof ApiError ? (error.details as ExpressionErrorDetails | undefined) : undefined;

  return (
    <Card
      size="small"
      title={t("customers.segment.preview")}
      extra={state.loading ? <Spin size="small" /> : null}
    >
      {!text ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t("customers.segment.previewEmpty")} />
      ) : error ? (
        <Alert
          type="error"
          showIcon
          title={error instanceof Error ? error.message : String(error)}
          description={
            details?.position !== undefined ? (
              <ErrorPosition expression={text} details={details} />
            ) : undefined
          }
          data-testid="segment-error"
        />
      ) : (
        <>
          <Statistic
            title={t("customers.segment.matching")}
            value={state.data ? state.data.count : "—"}
            suffix={state.data ? t("customers.segment.people") : undefined}
            valueRender={(node) => <span data-testid="segment-count">{node}</span>}
          />
          {state.data && state.data.sample.length > 0 ? (
            <>
              <Typography.Text type="secondary" style={{ display: "block", margin: "12px 0 6px" }}>
                {t("customers.segment.sample")}
              </Typography.Text>
              <Flex vertical gap={4}>
                {state.data.sample.slice(0, 10).map((c) => (
                  <Flex key={c.id} gap={8} align="center" wrap>
                    <Link to={`/customers/${encodeURIComponent(c.id)}`} target="_blank">
                      {c.name}
                    </Link>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {c.phone ?? c.email ?? ""}
                    </Typography.Text>
                    {c.tags.slice(0, 3).map((ref) => {
                      // Samples carry tag ids (or names); show them as the tenant's tags.
                      const id = typeof ref === "string" ? ref : ref.id;
                      const tag = tagIndex.get(id) ?? (typeof ref === "string" ? undefined : ref);
                      return (
                        <Tag key={id} color={tag?.color || undefined} style={{ fontSize: 11 }}>
                          {tag?.name ?? id}
                        </Tag>
                      );
                    })}
                  </Flex>
                ))}
              </Flex>
            </>
          ) : null}
        </>
      )}
    </Card>
  );
}
