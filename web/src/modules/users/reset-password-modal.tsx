import type { UserDto } from "@siyu/contracts";
import { useMutation } from "@tanstack/react-query";
import { App, Form, Input, Modal } from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { resetPassword } from "./users.api.ts";

export function ResetPasswordModal({ user, onClose }: { user: UserDto | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ password: string }>();
  const mutation = useMutation({
    mutationFn: (password: string) => resetPassword(user!.id, password),
    onSuccess: () => {
      message.success(t("users.passwordReset"));
      onClose();
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <Modal
      open={user !== null}
      title={`${t("users.resetPassword")} · ${user?.email ?? ""}`}
      okText={t("common.confirm")}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={mutation.isPending}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={(values) => mutation.mutate(values.password)}>
        <Form.Item
          name="password"
          label={t("users.newPassword")}
          extra={t("users.passwordHint")}
          rules={[{ required: true }, { min: 8, message: t("users.passwordTooShort") }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
