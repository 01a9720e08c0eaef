/**
 * The floor of bench/server/bare-floor.ts: a fastify route with no hooks, no body parsing and no
 * work that answers every POST /get-online-features with the bytes given as argv[2]. Prints the
 * same listen line as `frec serve` so the bench starts both the same way.
 */
import Fastify from 'fastify';

const payload = Buffer.from(process.argv[2] ?? '{}', 'utf8');
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
// The body is read (a server must drain it) but not parsed.
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, _body, done) => done(null, undefined));
app.post('/get-online-features', (_request, reply) => {
  void reply.header('content-type', 'application/json; charset=utf-8').send(payload);
});
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;
console.log(JSON.stringify({ msg: 'feature server listening', url: `http://127.0.0.1:${port}` }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
