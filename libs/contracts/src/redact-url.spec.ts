import { redactCredentials, redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('hides the password of a broker or database URL and keeps the rest', () => {
    expect(redactUrl('postgres://gw:hunter2@db:5432/gateway?sslmode=require')).toBe('postgres://gw:***@db:5432/gateway?sslmode=require');
    expect(redactUrl('mqtts://plant:s3cr%40t@broker.local:8883')).toBe('mqtts://plant:***@broker.local:8883');
  });

  it('leaves a URL without a password as written', () => {
    for (const url of ['mqtt://broker:1883', 'redis://user@cache:6379', 'sqlite:./data/core-data.db']) expect(redactUrl(url)).toBe(url);
  });

  it('hides the password of text that is no valid URL, up to the last @', () => {
    expect(redactUrl('postgres://gw:hunter2@db:port/gateway')).toBe('postgres://gw:***@db:port/gateway');
    expect(redactUrl('redis://:p@ss:w@rd@cache:99999')).toBe('redis://:***@cache:99999');
  });
});

describe('redactCredentials', () => {
  it('hides URL passwords and key=value secrets anywhere in a text', () => {
    expect(redactCredentials('HostName=hub.azure-devices.net;DeviceId=gw;SharedAccessKey=c2VjcmV0')).toBe(
      'HostName=hub.azure-devices.net;DeviceId=gw;SharedAccessKey=***',
    );
    expect(redactCredentials('host=db user=gw password=hunter2 dbname=x')).toBe('host=db user=gw password=*** dbname=x');
    expect(redactCredentials('peers mqtt://a:b@one and https://c:d@two')).toBe('peers mqtt://a:***@one and https://c:***@two');
    expect(redactCredentials('http://plain:8080/path')).toBe('http://plain:8080/path');
  });
});
