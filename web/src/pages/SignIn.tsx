// Sign in, or first-run setup (setup code from the server console + the first admin).
import { Show, createSignal } from "solid-js";
import { asApiError, fieldErrors } from "../api/client.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Field, describedBy } from "../components/Field.tsx";
import { login, session, setup } from "../stores/session.ts";

export function SignIn() {
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [code, setCode] = createSignal("");
  const [error, setError] = createSignal<unknown>(null);
  const [busy, setBusy] = createSignal(false);
  const isSetup = () => session.setupRequired();
  const fe = () => fieldErrors(error());

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (isSetup()) await setup(code().trim(), username().trim(), password());
      else await login(username().trim(), password());
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <form class="panel narrow" onSubmit={submit} aria-labelledby="signin-title" novalidate>
        <h1 id="signin-title">{isSetup() ? "Set up Team Mesh" : "Sign in to Team Mesh"}</h1>
        <Show when={session.expired()}>
          <p class="banner warn" role="status">
            Your session ended. Sign in again.
          </p>
        </Show>
        <Show when={isSetup()}>
          <p class="muted">
            First run: enter the one-time setup code printed on the server console, then choose the first admin's
            username and password (at least 10 characters).
          </p>
          <Field label="Setup code" id="setup-code" error={fe().setupCode}>
            <input
              id="setup-code"
              autocomplete="one-time-code"
              required
              value={code()}
              onInput={(e) => setCode(e.currentTarget.value)}
              aria-invalid={!!fe().setupCode}
              aria-describedby={describedBy("setup-code", fe().setupCode)}
            />
          </Field>
        </Show>
        <Field label="Username" id="username" error={fe().username}>
          <input
            id="username"
            autocomplete="username"
            required
            autocapitalize="none"
            spellcheck={false}
            value={username()}
            onInput={(e) => setUsername(e.currentTarget.value)}
            aria-invalid={!!fe().username}
            aria-describedby={describedBy("username", fe().username)}
          />
        </Field>
        <Field label="Password" id="password" error={fe().password}>
          <input
            id="password"
            type="password"
            autocomplete={isSetup() ? "new-password" : "current-password"}
            required
            value={password()}
            onInput={(e) => setPassword(e.currentTarget.value)}
            aria-invalid={!!fe().password}
            aria-describedby={describedBy("password", fe().password)}
          />
        </Field>
        <ErrorNote error={error()} />
        <button type="submit" disabled={busy() || !username() || !password() || (isSetup() && !code())}>
          {busy() ? "Please wait…" : isSetup() ? "Create admin and sign in" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
