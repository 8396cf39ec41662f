import { ErrorKind, GatewayError } from '@gw/contracts';
import { BoundedQueue } from './bounded-queue';
import { PublishQueue } from './publish-queue';

describe('PublishQueue', () => {
  it('sends in call order, at most `window` at a time, and refuses beyond the limit', async () => {
    const q = new PublishQueue(4, 'test');
    q.setWindow(2);
    const started: number[] = [];
    const finish: Array<() => void> = [];
    const send = (i: number) => () =>
      new Promise<void>((resolve) => {
        started.push(i);
        finish.push(resolve);
      });
    const done = [0, 1, 2, 3].map((i) => q.run(send(i)));
    await expect(q.run(send(4))).rejects.toMatchObject({ kind: ErrorKind.Communication });
    expect(started).toEqual([0, 1]);
    finish[0]();
    await done[0];
    expect(started).toEqual([0, 1, 2]);
    finish[1]();
    finish[2]();
    await Promise.all(done.slice(1, 3));
    finish[3]();
    await done[3];
    expect(started).toEqual([0, 1, 2, 3]);
    expect(q.size).toBe(0);
  });

  it('close() fails what is pending', async () => {
    const q = new PublishQueue(10, 'test');
    const pending = q.run(() => new Promise<void>(() => undefined));
    q.close(new GatewayError(ErrorKind.Communication, 'closed'));
    await expect(pending).rejects.toThrow('closed');
  });
});

describe('BoundedQueue', () => {
  it('drops the oldest when full and keeps FIFO order across growth', () => {
    const q = new BoundedQueue<number>(3000);
    for (let i = 0; i < 3500; i++) q.push(i);
    expect(q.length).toBe(3000);
    expect(q.shift()).toBe(500);
    expect(q.push(9999).dropped).toBe(false);
    expect(q.push(10000).dropped).toBe(true);
    expect(q.shift()).toBe(502);
  });
});
