// The lab's stand-in for Discord's webhook API (Discord is an outside
// service): it takes what smokestack posts, answers as Discord does (204),
// and appends each message's embed to a log file, one JSON line each. The
// webhook's token is in the path: it is never written down.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, logFile] = process.argv.slice(2);
const WEBHOOK = /^\/api\/v\d+\/webhooks\/\d+\/[^/]+$/;

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = new URL(req.url ?? '/', 'http://lab').pathname;
    if (req.method !== 'POST' || !WEBHOOK.test(path)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"404: Not Found","code":0}');
      return;
    }
    let embed;
    try {
      embed = JSON.parse(Buffer.concat(chunks).toString('utf8')).embeds?.[0];
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"400: Bad Request","code":50109}');
      return;
    }
    appendFileSync(logFile, JSON.stringify({ at: new Date().toISOString(), title: embed?.title, url: embed?.url, fields: embed?.fields }) + '\n');
    res.writeHead(204).end();
  });
}).listen(Number(port), '127.0.0.1');
