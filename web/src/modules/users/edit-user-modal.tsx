import type { UserDto } from "@siyu/contracts";
import { Form, Input, Radio } from "antd";
import { useTranslation } from "react-i18next";
import { FormModal } from "../../ui/form-modal.tsx";
import { UserAccessItems } from "./create-user-modal.tsx";
import { type UpdateUserInput, updateUser } from "./users.api.ts";

export function EditUserModal({ user, onClose }: { user: UserDto | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <FormModal<UpdateUserInput>
      open={user !== null}
      title={`${t("users.edit")} · ${user?.email ?? ""}`}
      okText={t("common.save")}
      onClose={onClose}
      mutationFn={(input) => updateUser(user!.id, input)}
      successText={t("users.updated")}
      invalidate={[["users"]]}
      initialValues={
        user
          ? { name: user.name, roles: user.roles, departmentId: user.departmentId, status: user.status }
          : undefined
      }
    >
      {user ? (
        <>
          <Form.Item
            name="name"
            label={t("users.name")}
            rules={[{ required: true, message: t("users.nameRequired") }]}
          >
            <Input />
          </Form.Item>
          <UserAccessItems />
          <Form.Item name="status" label={t("users.status")}>
            <Radio.Group
              optionType="button"
              options={[
                { value: "active", label: t("users.statuses.active") },
                { value: "disabled", label: t("users.statuses.disabled") },
              ]}
            />
          </Form.Item>
        </>
      ) : null}
    </FormModal>
  );
}
