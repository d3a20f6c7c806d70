import Providers from "./providers";

export const metadata = { title: "session-mock Next.js app" };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <nav>
          <a id="nav-home" href="/">home</a> <a id="nav-server" href="/server">server</a>{" "}
          <a id="nav-protected" href="/protected">protected</a>
        </nav>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
