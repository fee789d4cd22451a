// Sign in, or first-run setup (setup code from the server console + the first admin).
import { Show, createSignal } from "solid-js";
import { fieldErrors } from "../api/client.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { TextField } from "../components/Field.tsx";
import { createAction } from "../lib/action.ts";
import { login, session, setup } from "../stores/session.ts";

export function SignIn() {
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [code, setCode] = createSignal("");
  const { busy, error, run } = createAction();
  const isSetup = () => session.setupRequired();
  const fe = () => fieldErrors(error());

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    await run(async () => {
      if (isSetup()) await setup(code().trim(), username().trim(), password());
      else await login(username().trim(), password());
    });
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
          <TextField
            label="Setup code"
            id="setup-code"
            error={fe().setupCode}
            autocomplete="one-time-code"
            required
            value={code()}
            onInput={setCode}
          />
        </Show>
        <TextField
          label="Username"
          id="username"
          error={fe().username}
          autocomplete="username"
          required
          autocapitalize="none"
          spellcheck={false}
          value={username()}
          onInput={setUsername}
        />
        <TextField
          label="Password"
          id="password"
          error={fe().password}
          type="password"
          autocomplete={isSetup() ? "new-password" : "current-password"}
          required
          value={password()}
          onInput={setPassword}
        />
        <ErrorNote error={error()} />
        <button type="submit" disabled={busy() || !username() || !password() || (isSetup() && !code())}>
          {busy() ? "Please wait…" : isSetup() ? "Create admin and sign in" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
