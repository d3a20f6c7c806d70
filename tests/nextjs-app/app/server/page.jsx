import { auth } from "../../auth";

export const dynamic = "force-dynamic";

// Server-side auth() decodes the session cookie with this app's AUTH_SECRET; it
// never calls /api/auth/session, so the rewrite to the mock does not apply here.
export default async function ServerPage() {
  const session = await auth();
  return (
    <main>
      <h1 id="server">Server</h1>
      <p id="server-status">{session ? "authenticated" : "unauthenticated"}</p>
      <p id="server-name">{session?.user?.name ?? ""}</p>
      <p id="server-email">{session?.user?.email ?? ""}</p>
      <pre id="server-session">{JSON.stringify(session)}</pre>
    </main>
  );
}
