'use strict';
// The app pm2 runs in the reload row: the same handler as samples/cluster, with the graceful
// set-up pm2's documentation recommends for `pm2 reload` (wait_ready + process.send('ready'),
// server.close() on SIGINT, kill_timeout in the ecosystem file).
// Usage (by pm2): PORT=N node server.js
const { createServer } = require('node:http');

const server = createServer((_request, response) => response.end(`hello from pid ${process.pid}\n`));
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGINT', () => server.close(() => process.exit(0)));
