/**
 * An Event's readings carry their value in the field their valueType calls
 * for: the schema alone cannot tell, since a reading with no value at all
 * still looks like an object reading with an empty objectValue.
 */
import { Event, ValueType } from './models';
import { Problem } from './problems';

export function eventProblems(event: Event): Problem[] {
  return event.readings.flatMap((reading, i) => {
    const field = valueFieldOf(reading.valueType);
    return (reading as Record<string, unknown>)[field] !== undefined
      ? []
      : [{ path: ['readings', i, field], message: `is required for valueType ${reading.valueType}` }];
  });
}

function valueFieldOf(valueType: ValueType): 'binaryValue' | 'objectValue' | 'value' {
  if (valueType === 'Binary') return 'binaryValue';
  return valueType === 'Object' || valueType === 'ObjectArray' ? 'objectValue' : 'value';
}
