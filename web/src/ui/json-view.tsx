/** Pretty-printed JSON in a dark, scrollable block. */
export function JsonView({ value }: { value: unknown }) {
  return <pre className="json-view">{JSON.stringify(value ?? null, null, 2)}</pre>;
}
