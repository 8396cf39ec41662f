/**
 * While writes pour in, SQLite's checkpoints run in a worker thread of their
 * own (no commit of the service's thread carries one); at a trickle no worker
 * is started (it costs about 11 MB), and an idle one goes away.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@gw/contracts';
import { BUSY_WINDOW_MS, CHECKPOINT_ROWS, SqliteCheckpointer, WORKER_IDLE_MS } from '@gw/persistence';
import { quietLogger } from '../support/quiet-logger';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3');

describe('SqliteCheckpointer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-ckpt-'));
  const file = join(dir, 'data.db');
  const db = new Database(file);
  const clock = new ManualClock();
  const checkpointer = new SqliteCheckpointer(file, quietLogger('sqlite'), { clock });

  beforeAll(() => {
    db.pragma('journal_mode = WAL');
    // Only the worker may copy pages back: the writer's own checkpoint is off here.
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT)');
  });

  afterAll(async () => {
    await checkpointer.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (rows: number) => {
    const insert = db.prepare('INSERT INTO rows (payload) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run('x'.repeat(200));
    })();
    checkpointer.committed(rows);
  };

  it('starts no worker while rows come slowly', async () => {
    write(CHECKPOINT_ROWS / 2);
    await clock.advance(BUSY_WINDOW_MS + 1);
    write(CHECKPOINT_ROWS / 2);
    expect(checkpointer.workerRunning).toBe(false);
  });

  it('checkpoints in its worker once rows pour in, copying the WAL into the database file', async () => {
    const before = statSync(file).size;
    write(CHECKPOINT_ROWS);
    expect(checkpointer.workerRunning).toBe(true);
    await checkpointer.settled();
    expect(checkpointer.stats).toEqual({ checkpoints: 1, failures: 0 });
    expect(statSync(file).size).toBeGreaterThan(before + CHECKPOINT_ROWS * 200);
  });

  it('stops the worker after a while without work', async () => {
    await clock.advance(WORKER_IDLE_MS);
    await checkpointer.settled();
    expect(checkpointer.workerRunning).toBe(false);
  });
});
