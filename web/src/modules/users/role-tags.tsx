import type { Role } from "@siyu/contracts";
import { Tag } from "antd";
import { useTranslation } from "react-i18next";

export const roleColors: Record<Role, string> = {
  owner: "gold",
  admin: "volcano",
  manager: "blue",
  agent: "green",
  technician: "cyan",
  finance: "purple",
  auditor: "geekblue",
};

export function RoleTags({ roles }: { roles: Role[] }) {
  const { t } = useTranslation();
  return (
    <>
      {roles.map((role) => (
        <Tag key={role} color={roleColors[role]}>
          {t(`roles.names.${role}`, { defaultValue: role })}
        </Tag>
      ))}
    </>
  );
}
