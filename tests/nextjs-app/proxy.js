// Next.js 16 renamed the `middleware` file convention to `proxy`
// (middleware.js still works but prints a deprecation warning at build time).
// Auth.js's `auth` is used as the proxy function itself: it runs the
// `authorized` callback and redirects to /api/auth/signin?callbackUrl=... when it
// returns false.
export { auth as proxy } from "./auth";

export const config = {
  matcher: ["/protected"],
};
