import { Col, Form, type FormItemProps, Row } from "antd";
import type { ReactNode } from "react";
import { SegmentBuilder } from "./segment-builder.tsx";
import { SegmentPreview } from "./segment-preview.tsx";

/**
 * The `expression` field of a form (segments, tag rules): the condition builder with, beside it, a live
 * preview of the customers it matches. Must sit inside the antd `Form` whose value it edits.
 */
export function ExpressionField({ label, rules }: { label: ReactNode; rules: FormItemProps["rules"] }) {
  const expression = Form.useWatch("expression") ?? "";
  return (
    <Row gutter={16}>
      <Col xs={24} lg={15}>
        <Form.Item name="expression" label={label} rules={rules}>
          <SegmentBuilder />
        </Form.Item>
      </Col>
      <Col xs={24} lg={9}>
        <SegmentPreview expression={expression} />
      </Col>
    </Row>
  );
}
