import { Form, Input } from "antd";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
import { DepartmentSelect } from "./department-select.tsx";
import { RoleSelect } from "./role-select.tsx";
import { type CreateUserInput, createUser } from "./users.api.ts";

export function CreateUserModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <FormModal<CreateUserInput>
      open={open}
      title={t("users.create")}
      okText={t("common.create")}
      onClose={onClose}
      mutationFn={(values) => createUser({ ...values, departmentId: values.departmentId ?? undefined })}
      successText={t("users.created")}
      invalidate={[["users"]]}
      resetOnSuccess
      initialValues={{ roles: ["agent"] }}
      formTestId="create-user-form"
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
      <UserAccessItems />
    </FormModal>
  );
}

/** The role and department fields, the same in the create and the edit form. */
export function UserAccessItems() {
  const { t } = useTranslation();
  return (
    <>
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
    </>
  );
}
