// A user action (a button or a form submit) with its busy flag and error: run() sets busy, clears
// the error, and keeps what the action throws, as an ApiError, for an ErrorNote.
import { createSignal } from "solid-js";
import { asApiError } from "../api/client.ts";

export function createAction() {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const run = async (fn: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
