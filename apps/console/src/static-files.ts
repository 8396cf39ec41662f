/**
 * The built single-page app (dist/console, written by `npm run build` and by
 * the build `npm start` runs): index.html and its hashed assets. Only files
 * inside the folder are served; a missing build is a page saying how to make it.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { dirname, extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The page may load its own scripts, styles and images only; no frame may embed it. */
export const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** dist/console of the checkout or image this file runs from (source or dist/): the folder holding package.json, then dist/console. */
export function defaultWebDir(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

export class StaticFiles {
  private readonly root: string;

  constructor(webDir: string) {
    this.root = resolve(webDir);
  }

  /** Serves `pathname` (`/` is index.html); false when there is no such file. */
  serve(pathname: string, res: ServerResponse, head: boolean): boolean {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return false;
    }
    const file = resolve(this.root, '.' + (decoded === '/' ? '/index.html' : decoded));
    if (!file.startsWith(this.root + sep)) return false;
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) return false;
      size = stat.size;
    } catch {
      if (decoded === '/') return this.notBuilt(res);
      return false;
    }
    // Hashed asset names change with their content: cached for good; index.html always asked again.
    const immutable = decoded.startsWith('/assets/');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(size),
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    });
    // A file that cannot be read after all (removed by a rebuild, EACCES) ends this answer, not the process.
    if (head) res.end();
    else pipeline(createReadStream(file), res, (err) => err && res.destroy());
    return true;
  }

  private notBuilt(res: ServerResponse): boolean {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
    res.end(`The console is not built (no ${join(this.root, 'index.html')}): run npm run build, or npm start, which builds it.\n`);
    return true;
  }
}
