import type { QueryKey } from "@tanstack/react-query";
import { type ButtonProps, Form, type FormInstance, Modal } from "antd";
import type { ReactNode } from "react";
import { useActionMutation } from "./action-mutation.ts";

/**
 * A modal holding a vertical antd form that is sent through a mutation: OK submits (validation first),
 * shows the pending state, and on success says so, refreshes `invalidate`, optionally resets the form,
 * closes, then calls `onSuccess`; a failure shows as a message and leaves the modal open.
 * Pass `form` when the caller needs the instance (e.g. to watch a field).
 */
export function FormModal<V extends object, R = unknown>(props: {
  open: boolean;
  title: ReactNode;
  okText?: ReactNode;
  onClose: () => void;
  mutationFn: (values: V) => Promise<R>;
  successText?: string;
  invalidate?: QueryKey[];
  resetOnSuccess?: boolean;
  onSuccess?: (result: R) => void;
  form?: FormInstance<V>;
  initialValues?: Partial<V>;
  preserve?: boolean;
  formTestId?: string;
  okButtonProps?: ButtonProps & { "data-testid"?: string };
  width?: number;
  children: ReactNode;
}) {
  const [ownForm] = Form.useForm<V>();
  const form = props.form ?? ownForm;
  const mutation = useActionMutation<V, R>({
    mutationFn: props.mutationFn,
    successText: props.successText,
    invalidate: props.invalidate,
    onSuccess: (result) => {
      if (props.resetOnSuccess) form.resetFields();
      props.onClose();
      props.onSuccess?.(result);
    },
  });

  return (
    <Modal
      open={props.open}
      title={props.title}
      okText={props.okText}
      onOk={() => form.submit()}
      onCancel={props.onClose}
      confirmLoading={mutation.isPending}
      okButtonProps={props.okButtonProps}
      width={props.width}
      destroyOnHidden
    >
      <Form<V>
        form={form}
        layout="vertical"
        preserve={props.preserve}
        initialValues={props.initialValues}
        onFinish={(values) => mutation.mutate(values)}
        data-testid={props.formTestId}
      >
        {props.children}
      </Form>
    </Modal>
  );
}
