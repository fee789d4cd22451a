// The Users table marks who still signs in with an admin-handed one-time password
// (mustChangePassword from GET /users), and only them.
import { render, screen } from "@solidjs/testing-library";
import { mockFetch, sessionRoutes } from "../lib/test-utils.ts";
import { loadSession } from "../stores/session.ts";
import UsersPage from "./Users.tsx";

const user = (username: string, mustChangePassword: boolean) => ({ username, role: "operator", createdAt: "2026-01-02T03:04:05.000Z", disabled: false, mustChangePassword });

afterEach(() => vi.unstubAllGlobals());

it("badges 'must change password' on the users who must, not on the others", async () => {
  mockFetch({
    ...sessionRoutes("admin"),
    "GET /users": { body: { items: [user("admin", false), user("nora", true), user("olga", false)] } },
    "GET /api-keys": { body: { items: [] } },
  });
  vi.stubGlobal("WebSocket", undefined);
  await loadSession();
  render(() => <UsersPage />);
  const badge = await screen.findByText("must change password");
  expect(badge.closest("tr")).toHaveAttribute("data-user", "nora");
  expect(screen.getAllByText("must change password")).toHaveLength(1);
  expect(document.querySelector('tr[data-user="olga"] td[data-label="Username"]')).toHaveTextContent(/^olga$/);
});
