import { ErrorKind, GatewayError } from '@gw/contracts';
import { nodeIdProblem, parsePoint } from './attributes';

describe('nodeIdProblem', () => {
  it('accepts the node id forms EdgeX device-opc-ua and OPC UA use', () => {
    for (const id of ['ns=3;i=1001', 'i=2258', 'ns=2;s=Line1.Speed', 'ns=2;s=a;b=c', 'ns=1;g=72962b91-fa75-4ae6-8d28-b404dc7daf63', 'ns=4;b=AAEC/w==', 'nsu=http://x/y;i=5']) {
      expect([id, nodeIdProblem(id)]).toEqual([id, undefined]);
    }
  });

  it('says what is wrong with the others', () => {
    expect(nodeIdProblem('ns=2;x=1')).toMatch(/expected .* i=<number>, s=<text>, g=<guid> or b=<base64>/);
    expect(nodeIdProblem('ns=70000;i=1')).toMatch(/past 65535/);
    expect(nodeIdProblem('ns=2;i=12a')).toMatch(/i= needs a number/);
    expect(nodeIdProblem('ns=2;i=4294967296')).toMatch(/i= needs a number/);
    expect(nodeIdProblem('ns=2;g=not-a-guid')).toMatch(/g= needs a GUID/);
    expect(nodeIdProblem('ns=2;s=')).toMatch(/s= needs a text/);
    expect(nodeIdProblem('1001')).toBeDefined();
  });
});

describe('parsePoint', () => {
  const refusal = (attributes: Record<string, unknown>): GatewayError => {
    try {
      parsePoint('plc', 'Speed', attributes);
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).kind).toBe(ErrorKind.ContractInvalid);
      return err as GatewayError;
    }
    throw new Error('accepted');
  };

  it('reads a variable, with its deadband, and an nsu= namespace URI', () => {
    expect(parsePoint('plc', 'Speed', { nodeId: 'ns=2;s=Speed', deadband: '0.5' })).toEqual({
      kind: 'variable',
      node: { text: 'ns=2;s=Speed' },
      deadband: { type: 'Absolute', value: 0.5 },
    });
    expect(parsePoint('plc', 'Speed', { nodeId: 'nsu=urn:plant;s=Speed', deadbandPercent: 2 })).toEqual({
      kind: 'variable',
      node: { text: 'nsu=urn:plant;s=Speed', namespaceUri: 'urn:plant', identifier: 's=Speed' },
      deadband: { type: 'Percent', value: 2 },
    });
  });

  it("reads EdgeX's method attributes, inputMap as texts", () => {
    expect(parsePoint('plc', 'Sum', { objectId: 'ns=2;s=M', methodId: 'ns=2;s=M.Add', inputMap: ['1', 2] })).toEqual({
      kind: 'method',
      object: { text: 'ns=2;s=M' },
      method: { text: 'ns=2;s=M.Add' },
      inputs: ['1', '2'],
    });
    expect(parsePoint('plc', 'Now', { objectId: 'ns=2;s=M', methodId: 'ns=2;s=M.Now' })).toMatchObject({ kind: 'method', inputs: [] });
  });

  it('refuses bad attributes naming device, resource and attribute', () => {
    expect(refusal({}).message).toBe('device "plc" resource "Speed": attribute nodeId is missing: give nodeId (e.g. ns=3;i=1001), browsePath from the device\'s object (e.g. 2:Temperature), or objectId and methodId for a method');
    expect(refusal({ nodeId: 5 }).message).toMatch(/^device "plc" resource "Speed": attribute nodeId must be a node id text/);
    expect(refusal({ nodeId: 'ns=2;q=1' }).message).toMatch(/attribute nodeId "ns=2;q=1" is not a node id/);
    expect(refusal({ methodId: 'ns=2;s=M.Add' }).message).toMatch(/attribute objectId is missing/);
    expect(refusal({ objectId: 'ns=2;s=M' }).message).toMatch(/attribute methodId is missing/);
    expect(refusal({ objectId: 'ns=2;s=M', methodId: 'ns=2;s=M.Add', inputMap: '1,2' }).message).toMatch(/attribute inputMap must be a list/);
    expect(refusal({ nodeId: 'i=1', deadband: -1 }).message).toMatch(/attribute deadband must be a number/);
    expect(refusal({ nodeId: 'i=1', deadbandPercent: 101 }).message).toMatch(/attribute deadbandPercent must be a number 0-100/);
    expect(refusal({ nodeId: 'i=1', deadband: 1, deadbandPercent: 1 }).message).toMatch(/deadbandPercent and deadband are both set/);
  });
});

describe('browsePath attributes (relative to the device object)', () => {
  const OBJECT = 'ns=2;s=Plant.Press2';

  it("resolves from the device's ObjectNodeId, so one profile serves every object of a type", () => {
    const p1 = parsePoint('press1', 'Temperature', { browsePath: '2:Temperature' }, 'ns=2;s=Plant.Press1');
    const p2 = parsePoint('press2', 'Temperature', { browsePath: '/2:Temperature' }, OBJECT);
    expect(p1).toEqual({ kind: 'variable', node: { text: 'ns=2;s=Plant.Press1/2:Temperature', relative: { from: { text: 'ns=2;s=Plant.Press1' }, path: '2:Temperature' } } });
    expect(p2).toMatchObject({ node: { relative: { from: { text: OBJECT }, path: '2:Temperature' } } });
    expect(parsePoint('p', 'Wear', { browsePath: '2:Tool/2:Wear', deadband: 1 }, 'nsu=urn:plant;s=P')).toMatchObject({
      node: { relative: { from: { namespaceUri: 'urn:plant', identifier: 's=P' }, path: '2:Tool/2:Wear' } },
      deadband: { type: 'Absolute', value: 1 },
    });
  });

  it('refuses a browsePath without the device object, with nodeId, or malformed, naming what is wrong', () => {
    const refusal = (attrs: Record<string, unknown>, object?: string) => {
      try {
        parsePoint('press', 'T', attrs, object);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal({ browsePath: '2:Temperature' })).toBe(
      'device "press" resource "T": attribute browsePath starts from the device\'s object: the device needs protocol property opcua.ObjectNodeId (discovery sets it)',
    );
    expect(refusal({ browsePath: '2:Temperature', nodeId: 'ns=2;s=X' }, OBJECT)).toMatch(/browsePath and nodeId are both set/);
    expect(refusal({ browsePath: '2:Tool//2:Wear' }, OBJECT)).toMatch(/is not a browse path: segment ""/);
    expect(refusal({ browsePath: '2:' }, OBJECT)).toMatch(/is not a browse path/);
    expect(refusal({ browsePath: '2:T' }, 'Plant.Press2')).toMatch(/opcua.ObjectNodeId "Plant.Press2", which is not a node id/);
  });
});
