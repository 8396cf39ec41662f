/**
 * Delivery of merged twin state (AWS shadows, Azure twins): a page's records
 * are merged per twin; when a twin refuses its update, the record that makes
 * it refused is found, so only that record is dropped (DeliveryError.delivered).
 */
import { DeliveryError } from './sink';

/** Where the delivery of a page stopped: `index` is the page position of the first record not delivered. */
export interface Shortfall {
  index: number;
  error: DeliveryError;
}

/** The shortfall at the earliest record, if any. */
export function firstShortfall(shortfalls: Array<Shortfall | undefined>): Shortfall | undefined {
  return shortfalls.reduce<Shortfall | undefined>((first, s) => (s && (!first || s.index < first.index) ? s : first), undefined);
}

export function asDeliveryError(err: unknown): DeliveryError {
  return err instanceof DeliveryError ? err : new DeliveryError((err as Error)?.message ?? String(err), 'retry', { cause: err });
}

/**
 * Delivers one twin's records (in page order) as one merged update. When the
 * cloud refuses it as a whole (reject), the record that makes it refused is
 * found by bisection over merged prefixes of the records: whatever is
 * accepted on the way is state the twin really had, in order, and only that
 * record and the ones after it stay undelivered. `send` gets the prefix to
 * merge and send.
 */
export async function sendMerged<E extends { index: number }>(entries: E[], send: (prefix: E[]) => Promise<void>): Promise<Shortfall | undefined> {
  // The first `accepted` entries are delivered; the first `refused` ones were refused together.
  let accepted = 0;
  let refused = entries.length + 1;
  let refusal: DeliveryError | undefined;
  for (let count = entries.length; ; count = (accepted + refused) >> 1) {
    try {
      await send(entries.slice(0, count));
      accepted = count;
    } catch (err) {
      const error = asDeliveryError(err);
      if (error.disposition === 'retry') return { index: entries[accepted].index, error };
      refused = count;
      refusal = error;
    }
    if (accepted === entries.length) return undefined;
    if (refused - accepted === 1) return { index: entries[accepted].index, error: refusal! };
  }
}
