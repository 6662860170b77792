import { type Role, roles } from "@siyu/contracts";
import { Select } from "antd";
import { useTranslation } from "react-i18next";

/** Multi-select of the built-in roles; antd Form passes `value`/`onChange`. */
export function RoleSelect(props: { value?: Role[]; onChange?: (value: Role[]) => void; id?: string }) {
  const { t } = useTranslation();
  return (
    <Select
      {...props}
      mode="multiple"
      data-testid="role-select"
      options={roles.map((role) => ({ value: role, label: t(`roles.names.${role}`) }))}
    />
  );
}
