// Untrusted text (messages, replies): always rendered as text, never as HTML.
export function ReplyText(props: { text: string | null | undefined; class?: string; label?: string }) {
  return (
    <pre class={`reply ${props.class ?? ""}`} aria-label={props.label}>
      {props.text ?? ""}
    </pre>
  );
}
