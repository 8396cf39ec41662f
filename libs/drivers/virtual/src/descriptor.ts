/** device-virtual as the hosts see it: simulated devices, no hardware, hosted by `npm start`. */
import { z } from 'zod';
import { defineDriver, int } from '@gw/device-sdk/driver';

export const virtualDriver = defineDriver({
  name: 'virtual',
  serviceName: 'device-virtual',
  defaultPort: 59900,
  // simulated devices read no protocol; EdgeX's device-virtual samples write `other`.
  edgexProtocols: ['other'],
  hostedByDefault: true,
  settings: z.object({
    /** Makes the random values repeatable run after run (demos, tests); unset: different every start. */
    seed: int(0, 2 ** 32 - 1).optional(),
  }),
  async create(settings) {
    const { VirtualDriver } = await import('./virtual-driver');
    const { seededRandom } = await import('./seeded-random');
    return new VirtualDriver({ random: settings.seed === undefined ? undefined : seededRandom(settings.seed) });
  },
});
