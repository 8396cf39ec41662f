/** The profile the device-sdk suites run against: one resource or command per behaviour under test. */
export const TEST_PROFILE_YAML = `
name: Test-Sensor
manufacturer: Gateway Tests
model: TS-1
deviceResources:
  - name: Temperature
    description: raw tenths of a degree, scaled on read
    properties: { valueType: Float32, readWrite: R, scale: 0.1, units: degC }
  - name: Setpoint
    properties: { valueType: Float64, readWrite: RW, minimum: 0, maximum: 100 }
  - name: Switch
    properties: { valueType: Bool, readWrite: RW, defaultValue: "false" }
  - name: Mode
    properties: { valueType: String, readWrite: RW }
  - name: Alarm
    properties: { valueType: Bool, readWrite: W }
  - name: Status
    properties: { valueType: String, readWrite: R, assertion: OK }
deviceCommands:
  - name: Climate
    readWrite: R
    resourceOperations:
      - { deviceResource: Temperature }
      - { deviceResource: Setpoint }
  - name: SetMode
    readWrite: RW
    resourceOperations:
      - { deviceResource: Mode, mappings: { "0": "OFF", "1": "ON" } }
      - { deviceResource: Switch, defaultValue: "true" }
`;
