import { auth } from "../../auth";

export const dynamic = "force-dynamic";

// Guarded by proxy.js (matcher: /protected).
export default async function ProtectedPage() {
  const session = await auth();
  return (
    <main>
      <h1 id="protected">Protected</h1>
      <p id="protected-name">{session?.user?.name}</p>
    </main>
  );
}
