import { DeliveryError } from './sink';
import { PendingReplies } from './twin-delivery';

describe('PendingReplies', () => {
  it('failing all names each request (what it was), with why', async () => {
    const replies = new PendingReplies<string>(60_000);
    const update = replies.exchange('a', 'thing pump: shadow update', async () => {});
    const get = replies.exchange('b', 'plant/pump-1 twin get', async () => {});
    replies.failAll('the MQTT connection was lost');
    expect(await Promise.allSettled([update, get])).toEqual([
      { status: 'rejected', reason: expect.objectContaining({ disposition: 'retry', message: 'thing pump: shadow update: no answer: the MQTT connection was lost' }) },
      { status: 'rejected', reason: expect.objectContaining({ message: 'plant/pump-1 twin get: no answer: the MQTT connection was lost' }) },
    ]);
  });

  it('fails one request at once (its reply could not be read); replies nobody waits for are told apart', async () => {
    const replies = new PendingReplies<string>(60_000);
    const update = replies.exchange('a', 'plant/pump-1 twin update', async () => {});
    expect(replies.waiting('a')).toBe(true);
    expect(replies.waiting('theirs')).toBe(false);
    expect(replies.fail('theirs', 'unreadable')).toBe(false);
    expect(replies.fail('a', "edgecore's answer could not be read: code not a number")).toBe(true);
    const err = await update.catch((e: DeliveryError) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ disposition: 'retry', message: "plant/pump-1 twin update: edgecore's answer could not be read: code not a number" });
    expect(replies.waiting('a')).toBe(false);
  });
});
