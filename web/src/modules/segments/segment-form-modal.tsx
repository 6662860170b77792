import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Col, Form, Input, Modal, Radio, Row } from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { SegmentBuilder } from "./segment-builder.tsx";
import { SegmentPreview } from "./segment-preview.tsx";
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
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<SegmentInput>();
  const expression = Form.useWatch("expression", form) ?? "";
  const save = useMutation({
    mutationFn: (values: SegmentInput) =>
      segment ? updateSegment(segment.id, values) : createSegment(values),
    onSuccess: () => {
      message.success(segment ? t("common.saved") : t("customers.segment.created"));
      void queryClient.invalidateQueries({ queryKey: ["segments"] });
      onClose();
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <Modal
      open={open}
      title={segment ? t("customers.segment.edit") : t("customers.segment.create")}
      okText={segment ? t("common.save") : t("common.create")}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={save.isPending}
      okButtonProps={{ "data-testid": "segment-save" }}
      width={1040}
      destroyOnHidden
    >
      <Form<SegmentInput>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={
          segment
            ? { name: segment.name, kind: segment.kind, expression: segment.expression }
            : { name: "", kind: "dynamic", expression: "" }
        }
        onFinish={(v) => save.mutate({ name: v.name, kind: v.kind, expression: v.expression.trim() })}
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
            <Form.Item
              name="kind"
              label={t("customers.segment.kind")}
              extra={t("customers.segment.kindHint")}
            >
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
        <Row gutter={16}>
          <Col xs={24} lg={15}>
            <Form.Item
              name="expression"
              label={t("customers.segment.conditions")}
              rules={[
                { required: true, whitespace: true, message: t("customers.segment.expressionRequired") },
              ]}
            >
              <SegmentBuilder />
            </Form.Item>
          </Col>
          <Col xs={24} lg={9}>
            <SegmentPreview expression={expression} />
          </Col>
        </Row>
      </Form>
    </Modal>
  );
}
