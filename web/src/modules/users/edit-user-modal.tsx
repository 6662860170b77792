import type { UserDto } from "@siyu/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { App, Form, Input, Modal, Radio } from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "../../ui/error-text.ts";
import { DepartmentSelect } from "./department-select.tsx";
import { RoleSelect } from "./role-select.tsx";
import { type UpdateUserInput, updateUser } from "./users.api.ts";

export function EditUserModal({ user, onClose }: { user: UserDto | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<UpdateUserInput>();
  const mutation = useMutation({
    mutationFn: (input: UpdateUserInput) => updateUser(user!.id, input),
    onSuccess: () => {
      message.success(t("users.updated"));
      void queryClient.invalidateQueries({ queryKey: ["users"] });
      onClose();
    },
    onError: (error) => message.error(errorText(t, error)),
  });

  return (
    <Modal
      open={user !== null}
      title={`${t("users.edit")} · ${user?.email ?? ""}`}
      okText={t("common.save")}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={mutation.isPending}
      destroyOnHidden
    >
      {user ? (
        <Form<UpdateUserInput>
          form={form}
          layout="vertical"
          initialValues={{
            name: user.name,
            roles: user.roles,
            departmentId: user.departmentId,
            status: user.status,
          }}
          onFinish={(values) => mutation.mutate(values)}
        >
          <Form.Item
            name="name"
            label={t("users.name")}
            rules={[{ required: true, message: t("users.nameRequired") }]}
          >
            <Input />
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
          <Form.Item name="status" label={t("users.status")}>
            <Radio.Group
              optionType="button"
              options={[
                { value: "active", label: t("users.statuses.active") },
                { value: "disabled", label: t("users.statuses.disabled") },
              ]}
            />
          </Form.Item>
        </Form>
      ) : null}
    </Modal>
  );
}
