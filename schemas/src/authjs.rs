//! The Auth.js protocol's names: the routes under its base path, its cookie
//! names and the form fields of its sign-in and sign-out posts. Written
//! once here, for every crate that speaks Auth.js (the runner signs in with
//! them; the mock serves them).
//!
//! Sources, in `nextauthjs/next-auth` (v5 on `main`, v4 on the `v4` branch):
//! the actions in `packages/core/src/lib/utils/actions.ts` and the router in
//! `packages/core/src/lib/index.ts`; the cookie names in `defaultCookies` of
//! `packages/core/src/lib/utils/cookie.ts` (v5) and
//! `packages/next-auth/src/core/lib/cookie.ts` (v4); the form fields as the
//! client sends them in `packages/next-auth/src/react.tsx` (`signIn`,
//! `signOut`, `getCsrfToken`) and, for `json`, v4's
//! `packages/next-auth/src/react/index.tsx`.

/// Route names under the Auth.js base path (e.g. `/api/auth`), the
/// `AuthAction`s of `packages/core/src/lib/utils/actions.ts`.
pub mod route {
    /// `GET <base>/csrf`: `{"csrfToken"}` and the CSRF cookie (`getCsrfToken`).
    pub const CSRF: &str = "csrf";
    /// `GET <base>/providers`: the configured providers (`getProviders`).
    pub const PROVIDERS: &str = "providers";
    /// `GET|POST <base>/signin[/{provider}]`: the sign-in page, or an OAuth
    /// or email provider's start.
    pub const SIGN_IN: &str = "signin";
    /// `POST <base>/signout`: ends the session (`signOut`).
    pub const SIGN_OUT: &str = "signout";
    /// `GET|POST <base>/session`: the current session, or its update.
    pub const SESSION: &str = "session";
    /// `<base>/callback/{provider}`: where a provider answers; a credentials
    /// provider is posted to directly (`signIn` posts to `callback` for
    /// `providerType === "credentials"`).
    pub const CALLBACK: &str = "callback";
    /// `POST <base>/callback/credentials`: the credentials provider's sign-in
    /// (its provider id is `credentials`).
    pub const CALLBACK_CREDENTIALS: &str = "callback/credentials";
    /// `GET <base>/error?error=...`: the error page a refused sign-in
    /// redirects to.
    pub const ERROR: &str = "error";

    /// `callback/{provider}` for any provider id.
    pub fn callback(provider: &str) -> String {
        format!("{CALLBACK}/{provider}")
    }
}

/// Cookie names, without the prefix secure deployments add (see
/// [`SECURE_PREFIX`] and [`HOST_PREFIX`]).
pub mod cookie {
    /// Set on HTTPS (`useSecureCookies`) before every cookie name but the
    /// CSRF token's: `` `${cookiePrefix}authjs.session-token` ``.
    pub const SECURE_PREFIX: &str = "__Secure-";
    /// Set on HTTPS before the CSRF token's name only, the stricter prefix:
    /// `` `${useSecureCookies ? "__Host-" : ""}authjs.csrf-token` ``.
    pub const HOST_PREFIX: &str = "__Host-";

    /// v5 (`@auth/core`): the session cookie (a JWE, or a database session's
    /// token); chunked as `<name>.0`, `<name>.1`... above 4 KiB.
    pub const SESSION_TOKEN: &str = "authjs.session-token";
    /// v5: the CSRF double-submit cookie, `<token>|<hash>`.
    pub const CSRF_TOKEN: &str = "authjs.csrf-token";
    /// v5: where to return after sign-in.
    pub const CALLBACK_URL: &str = "authjs.callback-url";

    /// v4 (`next-auth` 4.x): the session cookie.
    pub const V4_SESSION_TOKEN: &str = "next-auth.session-token";
    /// v4: the CSRF double-submit cookie.
    pub const V4_CSRF_TOKEN: &str = "next-auth.csrf-token";
    /// v4: where to return after sign-in.
    pub const V4_CALLBACK_URL: &str = "next-auth.callback-url";

    /// What every session cookie name ends in, v4 or v5, prefixed or not.
    pub const SESSION_TOKEN_SUFFIX: &str = "session-token";

    /// The session cookie's names a server may use: v5 and v4, each bare,
    /// `__Secure-` prefixed.
    pub fn session_token_names() -> [String; 4] {
        [
            SESSION_TOKEN.to_owned(),
            format!("{SECURE_PREFIX}{SESSION_TOKEN}"),
            V4_SESSION_TOKEN.to_owned(),
            format!("{SECURE_PREFIX}{V4_SESSION_TOKEN}"),
        ]
    }
}

/// Form fields of the sign-in and sign-out posts, and the JSON fields and
/// header around them.
pub mod field {
    /// The CSRF token, from `GET <base>/csrf`'s `{"csrfToken"}`, posted back
    /// in the form of the same name.
    pub const CSRF_TOKEN: &str = "csrfToken";
    /// Where to go afterwards (`callbackUrl: redirectTo` in `signIn`/`signOut`).
    pub const CALLBACK_URL: &str = "callbackUrl";
    /// The client's `redirect` option (`redirect = true` in `signIn`); with
    /// `false` it reads the answer instead of following it.
    pub const REDIRECT: &str = "redirect";
    /// v4's `json: true` in the sign-in and sign-out bodies: answer with
    /// `{"url"}` rather than a redirect.
    pub const JSON: &str = "json";
    /// The credentials provider's password field (the provider's
    /// `credentials` config names it; `password` by convention).
    pub const PASSWORD: &str = "password";
    /// The credentials provider's usual user field (`email` is the other).
    pub const USERNAME: &str = "username";
    /// The JSON field of a redirect answered as JSON (`data.url` in `signIn`).
    pub const URL: &str = "url";
    /// The query parameter an error redirect carries (`?error=CredentialsSignin`).
    pub const ERROR: &str = "error";
    /// v5's request header asking for `{"url"}` instead of a 302
    /// (`request.headers?.has("X-Auth-Return-Redirect")` in
    /// `packages/core/src/index.ts`).
    pub const RETURN_REDIRECT_HEADER: &str = "x-auth-return-redirect";
}

/// Error codes Auth.js puts in `?error=` (`packages/core/src/errors.ts`).
pub mod error {
    /// The credentials provider's `authorize` refused the user or password.
    pub const CREDENTIALS_SIGN_IN: &str = "CredentialsSignin";
    /// The post carried no CSRF token, or one not matching the cookie.
    pub const MISSING_CSRF: &str = "MissingCSRF";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_wire_formats() {
        assert_eq!(route::callback("credentials"), route::CALLBACK_CREDENTIALS);
        assert_eq!(
            cookie::session_token_names(),
            [
                "authjs.session-token",
                "__Secure-authjs.session-token",
                "next-auth.session-token",
                "__Secure-next-auth.session-token"
            ]
        );
        assert!(
            cookie::session_token_names()
                .iter()
                .all(|n| n.ends_with(cookie::SESSION_TOKEN_SUFFIX))
        );
    }
}
