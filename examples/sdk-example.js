// Use the SDK: check a server, then make a call through the checked client.
// Run: SERVER_URL=https://your-server.example.com node examples/sdk-example.js
import { CheckedClient, checkServer, createSession, isHandshakeError, remedyFor, sanitize } from 'handshake-compat';

try {
  // The bundled matrix, SERVER_URL as the server, HANDSHAKE_TOKEN (if set) as the token.
  const session = createSession({ cliVersion: '0.9.0', server: process.env.SERVER_URL });

  // One version handshake and its verdict. Messages quote the server: sanitize before printing.
  const report = await checkServer(session);
  console.log(`${report.status}: ${sanitize(report.message)}`);
  // The remedy is data (report.hint); remedyFor says it for the server checked (report.remedies).
  const fix = remedyFor(report, report.remedies);
  if (fix) console.log(`fix: ${sanitize(fix)}`);

  // An ordinary call; its response headers are checked against the cached handshake.
  const client = new CheckedClient(session);
  const res = await client.request('/api/v1/projects');
  console.log(`GET /api/v1/projects → HTTP ${res.status}, ${res.body.length} bytes`);
  const passive = await client.finish();
  if (passive.warning) console.error(`warning: ${sanitize(passive.warning.message)}`);
  process.exitCode = report.severity === 'error' ? 3 : 0;
} catch (err) {
  // Bad input (no server, an invalid matrix…) is a HandshakeError with a stable code and a remedy as data
  // (`err.hint`): remedyFor says it, in handshake's words (what to pass named as this call's option,
  // `{ server: "https://…" }`, not a flag) or, given { bin, envPrefix }, in your CLI's.
  if (!isHandshakeError(err)) throw err;
  console.error(`${err.code}: ${sanitize(err.message)}\nfix: ${sanitize(remedyFor(err) ?? '')}`);
  process.exitCode = 2;
}
