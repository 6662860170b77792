import { Col, Form, Input, Radio, Row } from "antd";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
import { ExpressionField } from "./expression-field.tsx";
import { createSegment, type Segment, type SegmentInput, updateSegment } from "./segments.api.ts";

/** Create (segment null) or edit a segment: name, kind, and the expression with a live preview. */
export function SegmentFormModal({
  open,
  segment,
  onClose,
}: {
  open: boolean;
  segment: Segment | null;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  return (
    <FormModal<SegmentInput>
      open={open}
      title={segment ? t("customers.segment.edit") : t("customers.segment.create")}
      okText={segment ? t("common.save") : t("common.create")}
      onClose={onClose}
      mutationFn={(v) => {
        const values = { name: v.name, kind: v.kind, expression: v.expression.trim() };
        return segment ? updateSegment(segment.id, values) : createSegment(values);
      }}
      successText={segment ? t("common.saved") : t("customers.segment.created")}
      invalidate={[["segments"]]}
      okButtonProps={{ "data-testid": "segment-save" }}
      width={1040}
      preserve={false}
      initialValues={
        segment
          ? { name: segment.name, kind: segment.kind, expression: segment.expression }
          : { name: "", kind: "dynamic", expression: "" }
      }
    >
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item
            name="name"
            label={t("customers.segment.name")}
            rules={[{ required: true, whitespace: true }]}
          >
            <Input data-testid="segment-name" />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item name="kind" label={t("customers.segment.kind")} extra={t("customers.segment.kindHint")}>
            <Radio.Group
              optionType="button"
              options={[
                { value: "dynamic", label: t("customers.segment.kindNames.dynamic") },
                { value: "snapshot", label: t("customers.segment.kindNames.snapshot") },
              ]}
            />
          </Form.Item>
        </Col>
      </Row>
      <ExpressionField
        label={t("customers.segment.conditions")}
        rules={[{ required: true, whitespace: true, message: t("customers.segment.expressionRequired") }]}
      />
    </FormModal>
  );
}
