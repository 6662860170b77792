import type { UserDto } from "@siyu/contracts";
import { Form, Input } from "antd";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
import { resetPassword } from "./users.api.ts";

export function ResetPasswordModal({ user, onClose }: { user: UserDto | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <FormModal<{ password: string }>
      open={user !== null}
      title={`${t("users.resetPassword")} · ${user?.email ?? ""}`}
      okText={t("common.confirm")}
      onClose={onClose}
      mutationFn={(values) => resetPassword(user!.id, values.password)}
      successText={t("users.passwordReset")}
    >
      <Form.Item
        name="password"
        label={t("users.newPassword")}
        extra={t("users.passwordHint")}
        rules={[{ required: true }, { min: 8, message: t("users.passwordTooShort") }]}
      >
        <Input.Password autoComplete="new-password" />
      </Form.Item>
    </FormModal>
  );
}
