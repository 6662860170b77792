import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Form, Input, Modal } from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { DepartmentSelect } from "./department-select.tsx";
import { RoleSelect } from "./role-select.tsx";
import { type CreateUserInput, createUser } from "./users.api.ts";

export function CreateUserModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<CreateUserInput>();
  const mutation = useMutation({
    mutationFn: createUser,
    onSuccess: () => {
      message.success(t("users.created"));
      void queryClient.invalidateQueries({ queryKey: ["users"] });
      form.resetFields();
      onClose();
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <Modal
      open={open}
      title={t("users.create")}
      okText={t("common.create")}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={mutation.isPending}
      destroyOnHidden
    >
      <Form<CreateUserInput>
        form={form}
        layout="vertical"
        initialValues={{ roles: ["agent"] }}
        onFinish={(values) => mutation.mutate({ ...values, departmentId: values.departmentId ?? undefined })}
        data-testid="create-user-form"
      >
        <Form.Item name="email" label={t("users.email")} rules={[{ required: true, type: "email" }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="name"
          label={t("users.name")}
          rules={[{ required: true, message: t("users.nameRequired") }]}
        >
          <Input />
        </Form.Item>
        <Form.Item
          name="password"
          label={t("users.password")}
          extra={t("users.passwordHint")}
          rules={[{ required: true }, { min: 8, message: t("users.passwordTooShort") }]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="roles"
          label={t("users.roles")}
          rules={[{ required: true, message: t("users.rolesRequired") }]}
        >
          <RoleSelect />
        </Form.Item>
        <Form.Item name="departmentId" label={t("users.department")}>
          <DepartmentSelect />
        </Form.Item>
      </Form>
    </Modal>
  );
}
