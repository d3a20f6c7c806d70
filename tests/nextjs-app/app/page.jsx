"use client";

import { useState } from "react";
import { signIn, signOut, useSession } from "next-auth/react";

export default function Home() {
  const { data: session, status } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [result, setResult] = useState("");

  // signIn/signOut with `redirect: false` refetch /api/auth/session themselves
  // (next-auth/react calls its internal _getSession({ event: "storage" })), so
  // useSession() updates without an explicit update()/getSession().
  async function onSignIn() {
    setResult("");
    const res = await signIn("credentials", { username, password, redirect: false });
    setResult(res?.error ? `error:${res.error}` : res?.ok ? "ok" : "");
  }

  async function onSignOut() {
    setResult("");
    await signOut({ redirect: false });
    setResult("signed-out");
  }

  return (
    <main>
      <h1 id="home">Home</h1>
      <p id="client-status">{status}</p>
      <p id="client-name">{session?.user?.name ?? ""}</p>
      <p id="client-email">{session?.user?.email ?? ""}</p>
      <input id="username" name="username" value={username} onChange={(e) => setUsername(e.target.value)} />
      <input id="password" name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <button id="sign-in" type="button" onClick={onSignIn}>Sign in</button>
      <button id="sign-out" type="button" onClick={onSignOut}>Sign out</button>
      <p id="auth-result">{result}</p>
      <pre id="client-session">{JSON.stringify(session ?? null)}</pre>
    </main>
  );
}
