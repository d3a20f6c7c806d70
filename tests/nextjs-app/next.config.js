// Rewrites are evaluated at `next build` time and baked into the build:
// MOCK_AUTH / MOCK_URL must be set when building, not when starting.
/** @type {import('next').NextConfig} */
module.exports = {
  async rewrites() {
    if (!process.env.MOCK_AUTH) return [];
    const mock = process.env.MOCK_URL || "http://127.0.0.1:4010";
    return {
      beforeFiles: [
        { source: "/api/auth/:path*", destination: `${mock}/api/auth/:path*` },
      ],
    };
  },
};
