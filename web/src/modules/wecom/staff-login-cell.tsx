import type { UserDto, WecomStaffDto } from "@siyu/contracts";
import { useMutation, useQuery } from "@tanstack/react-query";
import { App, Select, Space, Tag, Tooltip, Typography } from "antd";
import { useTranslation } from "react-i18next";
import { http, type Page } from "../../api/client.ts";
import { errorText } from "../../ui/error-text.ts";
import { linkStaffUser } from "./wecom.api.ts";

/** The tenant's active logins, for the link select (one page: a tenant's staff fit in it). */
export function useLinkableUsers(enabled: boolean) {
  return useQuery({
    queryKey: ["users", "linkable"],
    queryFn: () => http.get<Page<UserDto>>("/api/users", { limit: 500 }),
    select: (page) => page.items.filter((u) => u.status === "active"),
    staleTime: 60_000,
    enabled,
  });
}

/** Where the member's link came from: an org sync's e-mail match, or an admin (also when cleared). */
function LinkSource({ member }: { member: WecomStaffDto }) {
  const { t } = useTranslation();
  if (member.userLink === "email")
    return (
      <Tooltip title={t("wecom.staff.linkEmailHint")}>
        <Tag bordered={false} color="blue" data-testid={`wecom-staff-link-source-${member.userid}`}>
          {t("wecom.staff.linkEmail")}
        </Tag>
      </Tooltip>
    );
  if (member.userLink === "manual")
    return (
      <Tooltip title={t("wecom.staff.linkManualHint")}>
        <Tag bordered={false} color="purple" data-testid={`wecom-staff-link-source-${member.userid}`}>
          {member.userId ? t("wecom.staff.linkManual") : t("wecom.staff.unlinkedManual")}
        </Tag>
      </Tooltip>
    );
  return null;
}

/**
 * The "login" cell of a WeCom member: a select to link or unlink it (admins), else the linked login's
 * name; with where the link came from. Logins linked to another member are shown but not offered
 * (one login ↔ one member: unlink it there first).
 */
export function StaffLoginCell(props: {
  member: WecomStaffDto;
  /** Logins linked to members, by login id → member userid (from the rows on the page). */
  linkedTo: Map<string, string>;
  users: UserDto[] | undefined;
  canManage: boolean;
  nameOf: (userId: string) => string;
  onChanged: () => void;
}) {
  const { member, linkedTo, users, canManage, nameOf, onChanged } = props;
  const { t } = useTranslation();
  const { message } = App.useApp();
  const save = useMutation({
    mutationFn: (userId: string | null) => linkStaffUser(member.userid, userId),
    onSuccess: (saved) => {
      message.success(saved.userId ? t("wecom.staff.linkSaved") : t("wecom.staff.unlinkSaved"));
      onChanged();
    },
    onError: (error) => message.error(errorText(t, error)),
  });
  if (!canManage)
    return (
      <Space size={4} wrap>
        {member.userId ? nameOf(member.userId) : <Typography.Text type="secondary">—</Typography.Text>}
        <LinkSource member={member} />
      </Space>
    );
  const options = (users ?? []).map((u) => {
    const other = linkedTo.get(u.id);
    const taken = other !== undefined && other !== member.userid;
    return {
      value: u.id,
      label: taken
        ? `${u.name || u.email} (${t("wecom.staff.linkedTo", { userid: other })})`
        : u.name || u.email,
      search: `${u.name} ${u.email}`.toLowerCase(),
      disabled: taken,
    };
  });
  // A linked login the list does not hold (disabled, or past the first page) still shows by name.
  if (member.userId && !options.some((o) => o.value === member.userId))
    options.unshift({
      value: member.userId,
      label: nameOf(member.userId),
      search: member.userId.toLowerCase(),
      disabled: false,
    });
  return (
    <Space size={4} wrap>
      <Select<string>
        value={member.userId ?? undefined}
        placeholder={t("wecom.staff.linkPlaceholder")}
        allowClear
        showSearch
        loading={save.isPending}
        disabled={save.isPending}
        style={{ width: 200 }}
        options={options}
        filterOption={(input, o) => (o?.search ?? "").includes(input.trim().toLowerCase())}
        onChange={(userId) => save.mutate(userId ?? null)}
        data-testid={`wecom-staff-login-${member.userid}`}
      />
      <LinkSource member={member} />
    </Space>
  );
}
