import { ErrorKind, GatewayError } from '@gw/contracts';
import { channelSecurity } from './policy';

const url = 'opc.tcp://plc:4840';
const none = { policy: 'None', mode: 'None' } as const;
const secure = { policy: 'Aes256_Sha256_RsaPss', mode: 'Sign' } as const;

describe('channelSecurity', () => {
  it('takes the service-wide policy and mode unless the device names its own', () => {
    expect(channelSecurity(secure, { url, key: 'k' })).toEqual(secure);
    expect(channelSecurity(none, { url, key: 'k', securityPolicy: 'basic256sha256', securityMode: 'SIGNANDENCRYPT' })).toEqual({ policy: 'Basic256Sha256', mode: 'SignAndEncrypt' });
  });

  it('completes a device that names one of the two from it, not from a service-wide value written for another case', () => {
    expect(channelSecurity(none, { url, key: 'k', securityPolicy: 'Aes128_Sha256_RsaOaep' })).toEqual({ policy: 'Aes128_Sha256_RsaOaep', mode: 'SignAndEncrypt' });
    expect(channelSecurity(none, { url, key: 'k', securityMode: 'Sign' })).toEqual({ policy: 'Basic256Sha256', mode: 'Sign' });
    expect(channelSecurity(secure, { url, key: 'k', securityPolicy: 'None' })).toEqual(none);
    expect(channelSecurity(secure, { url, key: 'k', securityMode: 'Sign' })).toEqual(secure);
  });

  it('refuses unknown names with a ContractInvalid naming the device and property', () => {
    const call = () => channelSecurity(none, { url, key: 'k', securityPolicy: 'Basic512' }, 'press-1');
    expect(call).toThrow(GatewayError);
    expect(call).toThrow('device "press-1": protocol property SecurityPolicy: "Basic512" is not one of None, Basic128Rsa15, Basic256, Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss');
    expect(() => channelSecurity(none, { url, key: 'k', securityMode: 'Encrypt' })).toThrow('protocol property SecurityMode: "Encrypt" is not one of None, Sign, SignAndEncrypt');
  });

  it('refuses a policy without a mode and the reverse', () => {
    const err = (() => {
      try {
        channelSecurity(none, { url, key: 'k', securityPolicy: 'None', securityMode: 'Sign' }, 'd');
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(err?.kind).toBe(ErrorKind.ContractInvalid);
    expect(err?.message).toContain('device "d": protocol properties SecurityPolicy/SecurityMode: policy None with mode Sign is not a combination');
    expect(() => channelSecurity({ policy: 'Basic256Sha256', mode: 'None' }, { url, key: 'k' })).toThrow(/^GW_OPCUA_POLICY\/GW_OPCUA_MODE: /);
  });
});
