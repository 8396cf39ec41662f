import { setWarningLogger } from 'node-opcua-client';
import { relativePathText } from './nodes';

setWarningLogger(() => undefined); // node-opcua's notes on loading (PKCS#1 check) would land after the tests

describe('relativePathText', () => {
  it("writes browse paths in node-opcua's relative path syntax, escaping its reserved characters", () => {
    expect(relativePathText('2:Temperature')).toBe('/2:Temperature');
    expect(relativePathText('2:Tool/2:Wear')).toBe('/2:Tool/2:Wear');
    expect(relativePathText('Stroke.Counts')).toBe('/Stroke&.Counts');
    expect(relativePathText('3:a<b>#!&:c')).toBe('/3:a&<b&>&#&!&&&:c');
  });
});
