// The OAuth 2.0 provider of the integration tests (crates/stack/tests/api/connect.rs):
// oauth2-mock-server, pinned in package-lock.json, on 127.0.0.1. The server is the package's
// own; this script only adds what the tests need to observe and steer it, through its event
// hooks and a wrapper around its request handler:
//
// - client authentication is checked (the id and secret given as arguments), and the method
//   the client used is recorded (client_secret_post or client_secret_basic);
// - refresh tokens are tracked as a real provider does: each is issued once, used once
//   (rotation), and refused with invalid_grant when unknown, used or revoked;
// - POST /control/revoke revokes every refresh token, /control/delay?ms=N delays every token
//   answer, /control/fail?status=N makes the token endpoint answer N, /control/reset undoes
//   both; GET /control/stats counts the token requests by grant type once answered, and
//   `arrivals` as they arrive (before any delay).
//
// Usage: node provider.mjs <client_id> <client_secret>
// Prints one line of JSON, {"port":N}, once listening; exits when stdin closes.

import { randomUUID } from "node:crypto";
import http from "node:http";
import { OAuth2Server } from "oauth2-mock-server";

const [clientId, clientSecret] = process.argv.slice(2);
if (!clientId || !clientSecret) {
  console.error("usage: node provider.mjs <client_id> <client_secret>");
  process.exit(2);
}

const server = new OAuth2Server();
await server.issuer.keys.generate("RS256");
const service = server.service;

const live = new Set();
const stats = { arrivals: 0, authorization_code: 0, refresh_token: 0, other: 0, methods: [] };
let delayMs = 0;
let failStatus = 0;

function clientAuth(req) {
  const header = req.headers.authorization || "";
  if (header.startsWith("Basic ")) {
    const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const unescape = (s) => decodeURIComponent(s.replace(/\+/g, " "));
    return {
      method: "client_secret_basic",
      id: unescape(decoded.slice(0, colon)),
      secret: unescape(decoded.slice(colon + 1)),
    };
  }
  return { method: "client_secret_post", id: req.body.client_id, secret: req.body.client_secret };
}

// Every access token distinct, as a real provider's are (the package's JWTs differ only by
// their issue time, in seconds).
service.on("beforeTokenSigning", (token) => {
  token.payload.jti = randomUUID();
});

service.on("beforeResponse", (response, req) => {
  const grant = req.body.grant_type;
  if (grant in stats && grant !== "methods") stats[grant] += 1;
  else stats.other += 1;
  const auth = clientAuth(req);
  stats.methods.push(auth.method);
  if (failStatus) {
    response.statusCode = failStatus;
    response.body = { error: "temporarily_unavailable" };
    return;
  }
  if (auth.id !== clientId || auth.secret !== clientSecret) {
    response.statusCode = 401;
    response.body = { error: "invalid_client" };
    return;
  }
  if (grant === "refresh_token") {
    if (!live.delete(req.body.refresh_token)) {
      response.statusCode = 400;
      response.body = { error: "invalid_grant" };
      return;
    }
  }
  if (response.statusCode === 200 && response.body.refresh_token) {
    live.add(response.body.refresh_token);
  }
});

function control(req, res, url) {
  const send = (body) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  switch (url.pathname) {
    case "/control/stats":
      return send(stats);
    case "/control/revoke":
      live.clear();
      return send({ revoked: true });
    case "/control/delay":
      delayMs = Number(url.searchParams.get("ms") || 0);
      return send({ delayMs });
    case "/control/fail":
      failStatus = Number(url.searchParams.get("status") || 0);
      return send({ failStatus });
    case "/control/reset":
      delayMs = 0;
      failStatus = 0;
      return send({ reset: true });
    default:
      res.writeHead(404);
      res.end();
  }
}

const front = http.createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname.startsWith("/control/")) return control(req, res, url);
  if (url.pathname === "/token") stats.arrivals += 1;
  if (url.pathname === "/token" && delayMs > 0) {
    setTimeout(() => service.requestHandler(req, res), delayMs);
    return;
  }
  service.requestHandler(req, res);
});
front.listen(0, "127.0.0.1", () => {
  const { port } = front.address();
  server.issuer.url = `http://127.0.0.1:${port}`;
  process.stdout.write(JSON.stringify({ port }) + "\n");
});

process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
