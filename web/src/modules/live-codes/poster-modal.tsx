import { DownloadOutlined, ReloadOutlined } from "@ant-design/icons";
import { type PosterTemplate, posterTemplates } from "@siyu/contracts";
import { useQuery } from "@tanstack/react-query";
import { App, Button, Col, Form, Input, Modal, Radio, Row, Skeleton, Space } from "antd";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { QueryError } from "../../ui/query-error.tsx";
import { fetchBlob, type LiveCode, type PosterOptions, posterPath, saveBlob } from "./live-codes.api.ts";

const clean = (o: PosterOptions) => ({
  template: o.template,
  ...(o.title?.trim() ? { title: o.title.trim() } : {}),
  ...(o.subtitle?.trim() ? { subtitle: o.subtitle.trim() } : {}),
  ...(o.store?.trim() ? { store: o.store.trim() } : {}),
});

/** Poster of a code: pick a template, write title / subtitle / store, preview the server's PNG, download. */
export function PosterModal({ code, open, onClose }: { code: LiveCode; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<PosterOptions>();
  const [applied, setApplied] = useState<PosterOptions>({ template: "classic" });
  const [downloading, setDownloading] = useState(false);
  const preview = useQuery({
    queryKey: ["live-code-poster", code.id, clean(applied)],
    queryFn: async () => URL.createObjectURL(await fetchBlob(posterPath(code.id), clean(applied))),
    enabled: open,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const src = preview.data;
  useEffect(() => () => (src ? URL.revokeObjectURL(src) : undefined), [src]);

  const download = async () => {
    setDownloading(true);
    try {
      const options = clean(form.getFieldsValue());
      saveBlob(await fetchBlob(posterPath(code.id), options), `${code.name}-${options.template}.png`);
    } catch (error) {
      message.error(errorText(t, error));
    } finally {
      setDownloading(false);
    }
  };

  return (
    <Modal
      open={open}
      onCancel={onClose}
      title={t("liveCodes.poster.title")}
      width={760}
      destroyOnHidden
      footer={
        <Space>
          <Button onClick={onClose}>{t("common.close")}</Button>
          <Button
            type="primary"
            icon={<DownloadOutlined />}
            loading={downloading}
            onClick={() => void download()}
            data-testid="live-code-poster-download"
          >
            {t("liveCodes.poster.download")}
          </Button>
        </Space>
      }
    >
      <Row gutter={24}>
        <Col flex="1 1 320px">
          <Form<PosterOptions>
            form={form}
            layout="vertical"
            initialValues={{ template: "classic" }}
            onValuesChange={(changed: Partial<PosterOptions>) => {
              if (changed.template) setApplied(form.getFieldsValue());
            }}
          >
            <Form.Item name="template" label={t("liveCodes.poster.template")}>
              <Radio.Group
                optionType="button"
                data-testid="live-code-poster-template"
                options={posterTemplates.map((p: PosterTemplate) => ({
                  value: p,
                  label: t(`liveCodes.poster.templates.${p}`),
                }))}
              />
            </Form.Item>
            <Form.Item name="title" label={t("liveCodes.poster.titleField")}>
              <Input maxLength={40} placeholder={code.name} />
            </Form.Item>
            <Form.Item name="subtitle" label={t("liveCodes.poster.subtitle")}>
              <Input maxLength={80} placeholder={t("liveCodes.poster.subtitlePlaceholder")} />
            </Form.Item>
            <Form.Item name="store" label={t("liveCodes.poster.store")}>
              <Input maxLength={40} placeholder={t("liveCodes.poster.storePlaceholder")} />
            </Form.Item>
            <Button icon={<ReloadOutlined />} onClick={() => setApplied(form.getFieldsValue())}>
              {t("liveCodes.poster.refresh")}
            </Button>
          </Form>
        </Col>
        <Col flex="0 0 270px">
          {preview.isError ? (
            <QueryError error={preview.error} onRetry={() => void preview.refetch()} />
          ) : src && !preview.isFetching ? (
            <img
              src={src}
              alt={t("liveCodes.poster.title")}
              data-testid="live-code-poster-preview"
              style={{ width: 270, border: "1px solid #f0f0f0", borderRadius: 8, display: "block" }}
            />
          ) : (
            <Skeleton.Image active style={{ width: 270, height: 480 }} />
          )}
        </Col>
      </Row>
    </Modal>
  );
}
