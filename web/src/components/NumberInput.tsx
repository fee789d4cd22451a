// A number input kept between 1 and `max`; an empty or non-numeric entry (or 0) becomes `fallback`.
export function NumberInput(props: { id: string; max: number; fallback: number; value: number; onChange: (n: number) => void }) {
  return (
    <input
      id={props.id}
      type="number"
      min="1"
      max={props.max}
      value={props.value}
      onInput={(e) => props.onChange(Math.max(1, Math.min(props.max, Number(e.currentTarget.value) || props.fallback)))}
    />
  );
}
