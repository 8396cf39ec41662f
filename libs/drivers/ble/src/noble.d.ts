/**
 * @abandonware/noble ships types for its default export only (the HCI
 * instance, which needs Bluetooth to even load). These are its two
 * factories the driver uses; noble-types.ts says what the instance they
 * return offers (the part the driver uses).
 */
declare module '@abandonware/noble/with-bindings' {
  /** A Noble on the given bindings (HCI, or a test's fake): never touches the kernel itself. */
  function withBindings(bindings: object): unknown;
  export = withBindings;
}

declare module '@abandonware/noble/with-custom-binding' {
  /** A Noble on the platform's bindings (HCI socket on Linux); `deviceId` picks hciN. Throws EAFNOSUPPORT without Bluetooth. */
  function withCustomBinding(options?: { deviceId?: number }): unknown;
  export = withCustomBinding;
}
