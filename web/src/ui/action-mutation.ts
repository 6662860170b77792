import { type QueryKey, useMutation, useQueryClient } from "@tanstack/react-query";
import { App } from "antd";
import { useTranslation } from "react-i18next";
import { errorText } from "./error-text.ts";

/**
 * A mutation started by a user action, with the console's usual feedback: on success an optional
 * message and the given queries refreshed, then `onSuccess`; on failure the error as a message
 * (`errorText`).
 */
export function useActionMutation<TVars = void, TResult = unknown>(options: {
  mutationFn: (vars: TVars) => Promise<TResult>;
  successText?: string;
  invalidate?: QueryKey[];
  onSuccess?: (result: TResult, vars: TVars) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: options.mutationFn,
    onSuccess: (result, vars) => {
      if (options.successText) message.success(options.successText);
      for (const queryKey of options.invalidate ?? []) void queryClient.invalidateQueries({ queryKey });
      options.onSuccess?.(result, vars);
    },
    onError: (error) => message.error(errorText(t, error)),
  });
}
