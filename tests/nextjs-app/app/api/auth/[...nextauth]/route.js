// The app's own Auth.js routes. With MOCK_AUTH set at build time the
// `beforeFiles` rewrite in next.config.js sends /api/auth/* to the mock instead.
import { handlers } from "../../../../auth";

export const { GET, POST } = handlers;
