import NextAuth from "next-auth";
import Credentials from "next-auth/providers/credentials";

// The secret is read from AUTH_SECRET in the environment (never hard-coded).
export const { handlers, auth, signIn, signOut } = NextAuth({
  trustHost: true,
  providers: [
    Credentials({
      credentials: { username: {}, password: {} },
      // The app never signs anyone in itself: with MOCK_AUTH the mock answers /api/auth/*.
      authorize: async () => null,
    }),
  ],
  callbacks: {
    authorized: ({ auth }) => !!auth,
  },
});
