import http from 'node:http';

import type { Express } from 'express';

/**
 * The API's HTTP server. Requests too malformed for express to see (a control character in a header value, a broken
 * request line) are answered here with the API's JSON error shape instead of Node's bare 400.
 */
export function createHttpServer(app: Express): http.Server {
  const server = http.createServer(app);
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({
      error: {
        code: status === 431 ? 'headers_too_large' : 'malformed_request',
        message:
          status === 431
            ? 'Request headers are too large'
            : 'Malformed HTTP request: a header or the request line is not valid HTTP',
      },
    });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}
