import type { MetadataClient } from '@gw/clients';

/**
 * What core-command reads from core-metadata. MetadataClient in production;
 * a narrow seam so the command logic does not care how metadata is reached.
 */
export type MetadataLookup = Pick<MetadataClient, 'device' | 'profile' | 'deviceService' | 'devicesPage'>;
