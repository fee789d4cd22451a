import { render, screen } from "@solidjs/testing-library";
import { KeyHelp, RoleTable, roleSummary } from "./KeyHelp.tsx";

describe("API keys page help", () => {
  it("explains every role from the permission table", () => {
    render(() => <RoleTable />);
    for (const r of ["requester", "operator", "auditor", "admin"]) expect(screen.getByRole("rowheader", { name: r })).toBeInTheDocument();
    expect(roleSummary("requester")).toBe("see the team, check who is online, send to one teammate, create broadcasts");
    expect(roleSummary("operator")).toContain("confirm, cancel and retry broadcasts");
    expect(roleSummary("auditor")).toBe("see the team, read and export the audit trail");
    expect(roleSummary("admin")).toContain("manage users");
  });
  it("shows how to use a key: curl header, CLI variables, MCP; with the new key filled in", () => {
    render(() => <KeyHelp keyValue="tm_NEWKEY" />);
    expect(screen.getByTestId("use-curl")).toHaveTextContent('curl -H "Authorization: Bearer tm_NEWKEY"');
    expect(screen.getByTestId("use-cli")).toHaveTextContent("MESH_API_KEY=tm_NEWKEY");
    expect(screen.getByTestId("use-cli")).toHaveTextContent("MESH_URL=");
    expect(screen.getByText(/MCP: point an MCP client/)).toHaveTextContent("/mcp");
  });
});
