import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** A loopback HTTP server for media files, for URL submissions in end-to-end tests. */
export interface MediaServer {
  /** `http://127.0.0.1:<port>`; files are at `<url>/<name>.mp4`. */
  url: string;
  close(): Promise<void>;
}

/** Serves the `.mp4` files of `dir` (names `[a-z0-9-]+.mp4` only) on 127.0.0.1. */
export async function startMediaServer(dir: string): Promise<MediaServer> {
  const server = createServer((req, res) => {
    const name = path.basename(req.url ?? '');
    if (!/^[a-z0-9-]+\.mp4$/.test(name)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'video/mp4' });
    createReadStream(path.join(dir, name))
      .on('error', () => res.destroy())
      .pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
