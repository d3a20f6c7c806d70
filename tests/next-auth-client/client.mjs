// The real next-auth v4 browser client (`next-auth/react`) against a running
// session-mock: a cookie jar stands in for the browser's. Prints what each
// step returned as JSON, for mock-server/tests/it/signin.rs to judge.
//
//   node client.mjs http://127.0.0.1:4010 USERNAME PASSWORD
import makeFetchCookie from "fetch-cookie";
import { CookieJar } from "tough-cookie";

const [base, username, password] = process.argv.slice(2);
process.env.NEXTAUTH_URL = `${base}/api/auth`;
const jar = new CookieJar();
const plainFetch = globalThis.fetch;
globalThis.fetch = makeFetchCookie(plainFetch, jar);
const { getCsrfToken, getProviders, getSession, signIn, signOut } = await import("next-auth/react");

const steps = {};
steps.providers = await getProviders();
steps.csrfTokenLength = (await getCsrfToken())?.length ?? 0;
steps.before = await getSession();
steps.wrongPassword = await signIn("credentials", { username, password: `${password}-wrong`, redirect: false, callbackUrl: `${base}/app` });
steps.signIn = await signIn("credentials", { username, password, redirect: false, callbackUrl: `${base}/app` });
steps.session = await getSession();
const cookie = (await jar.getCookies(base)).find((c) => c.key === "authjs.session-token");
steps.signOut = await signOut({ redirect: false, callbackUrl: `${base}/` });
steps.after = await getSession();
// The cookie the browser was told to forget, replayed without the jar.
const replay = await plainFetch(`${base}/api/auth/session`, { headers: { cookie: `authjs.session-token=${cookie?.value}` } });
steps.replayed = { status: replay.status, body: await replay.json() };
console.log(JSON.stringify(steps));
