// "Choose a new password": shown instead of everything else while the signed-in user still has the
// one-time password an admin handed over (the server refuses other calls until it is replaced).
import { createSignal } from "solid-js";
import { fieldErrors } from "../api/client.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { TextField } from "../components/Field.tsx";
import { createAction } from "../lib/action.ts";
import { changePassword, logout, session } from "../stores/session.ts";
import { PASSWORD_MIN } from "../../../shared/api/enums.ts";

export default function ChangePassword() {
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [again, setAgain] = createSignal("");
  const { busy, error, run } = createAction();
  const fe = () => fieldErrors(error());
  const mismatch = () => again() !== "" && again() !== next();

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (mismatch()) return;
    await run(() => changePassword(current(), next()));
  };

  return (
    <main class="signin" id="main">
      <form class="panel narrow" onSubmit={submit} aria-labelledby="new-password-title" novalidate>
        <h1 id="new-password-title">Choose a new password</h1>
        <p class="muted">
          Hello {session.me()?.name}: your password was set by an admin. Choose your own (at least {PASSWORD_MIN} characters) to continue; your
          other sessions are signed out.
        </p>
        <TextField
          label="One-time password"
          id="current-password"
          error={fe().currentPassword}
          type="password"
          autocomplete="current-password"
          required
          value={current()}
          onInput={setCurrent}
        />
        <TextField label="New password" id="new-password" error={fe().newPassword} type="password" autocomplete="new-password" required value={next()} onInput={setNext} />
        <TextField
          label="New password again"
          id="new-password-again"
          error={mismatch() ? "The two new passwords differ" : null}
          type="password"
          autocomplete="new-password"
          required
          value={again()}
          onInput={setAgain}
        />
        <ErrorNote error={error()} />
        <button type="submit" disabled={busy() || !current() || !next() || next() !== again()}>
          {busy() ? "Please wait…" : "Change password and continue"}
        </button>
        <button type="button" class="secondary" disabled={busy()} onClick={() => void logout()}>
          Sign out
        </button>
      </form>
    </main>
  );
}
