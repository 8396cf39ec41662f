"""A real Modbus TCP or RTU peer for the driver tests (Debian python3-pymodbus 3.0.0).

usage: /usr/bin/python3 pymodbus_server.py PORT LOGFILE
       /usr/bin/python3 pymodbus_server.py --rtu SERIAL_PATH [--baud 19200] LOGFILE

Serves units 1 and 2 on 127.0.0.1:PORT, or as Modbus RTU on SERIAL_PATH
(8 data bits, no parity, 1 stop bit), with zero_mode data blocks preloaded
with the values below; other units get no answer at all. Prints "ready" once
listening, and appends one line per request it receives (any unit) to LOGFILE:
"<unit> <function code> <address> <count>" (count 0 for single writes), so
tests can count requests and see their order.
"""
import asyncio
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import async_io
from pymodbus.transaction import ModbusRtuFramer

USAGE = "usage: pymodbus_server.py PORT LOGFILE | --rtu SERIAL_PATH [--baud BAUD] LOGFILE"
ARGS = sys.argv[1:]
RTU_PATH = None
BAUD = 19200
if ARGS[:1] == ["--rtu"]:
    RTU_PATH, ARGS = ARGS[1], ARGS[2:]
    if ARGS[:1] == ["--baud"]:
        BAUD, ARGS = int(ARGS[1]), ARGS[2:]
    if len(ARGS) != 1:
        sys.exit(USAGE)
    PORT = None
else:
    if len(ARGS) != 2:
        sys.exit(USAGE)
    PORT, ARGS = int(ARGS[0]), ARGS[1:]
LOG = open(ARGS[0], "a", buffering=1)

# Holding registers of unit 1 (zero-based addresses), literal words.
HR = [0] * 200
HR[0:2] = [0x3FC0, 0x0000]  # Float32 1.5 ABCD
HR[2:4] = [0x0000, 0x3FC0]  # Float32 1.5 CDAB (isWordSwap)
HR[4:6] = [0xC03F, 0x0000]  # Float32 1.5 BADC (isByteSwap)
HR[6:8] = [0x0000, 0xC03F]  # Float32 1.5 DCBA (both)
HR[8] = 0xFFFE  # Int16 -2
HR[9] = 0x1234  # Uint16 0x1234
HR[10:12] = [0xF8A4, 0x32EB]  # Int32 -123456789
HR[12:14] = [0x5678, 0x1234]  # Uint32 0x12345678, isWordSwap
HR[14:18] = [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE]  # Int64 -2
HR[18:22] = [0x0708, 0x0506, 0x0304, 0x0102]  # Uint64 0x0102030405060708, isWordSwap
HR[22:26] = [0x3FF8, 0, 0, 0]  # Float64 1.5
HR[26:30] = [0, 0, 0, 0xF83F]  # Float64 1.5, both swaps
HR[30] = 0x8401  # bits 0, 10, 15 set
HR[31:34] = [0x4142, 0x4344, 0x4500]  # String "ABCDE"
HR[34] = 0x3412  # Uint16 0x1234, isByteSwap
HR[35:37] = [0x8765, 0x4321]  # Int32 0x43218765, isWordSwap -> reads 0x43218765
HR[50] = 0x8001  # register for bit read-modify-write
HR[100:106] = [100, 101, 102, 103, 104, 105]

IR = [0] * 100
IR[0] = 0x1234
IR[1:3] = [0x3FC0, 0x0000]  # Float32 1.5
IR[3] = 0xFF9C  # Int16 -100

CO = [False] * 100
CO[0:4] = [True, False, True, True]
CO[20] = True

DI = [False] * 100
DI[0:4] = [False, True, True, False]


def unit(hr0):
    hr = list(HR)
    hr[0] = hr0 if hr0 is not None else hr[0]
    return ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, list(DI)),
        co=ModbusSequentialDataBlock(0, list(CO)),
        hr=ModbusSequentialDataBlock(0, hr),
        ir=ModbusSequentialDataBlock(0, list(IR)),
        zero_mode=True,
    )


class EveryUnitContext(ModbusServerContext):
    """Lets frames for unknown units through to execute, so they are logged too.

    The framers drop a frame before execute unless its unit is listed here or
    0 is (ModbusFramer._validate_unit_id). execute then finds no such slave
    and, with ignore_missing_slaves, sends no answer: a dead unit.
    """

    def slaves(self):
        return [0] + super().slaves()


context = EveryUnitContext(slaves={1: unit(None), 2: unit(2)}, single=False)

# Count every request the server receives (known unit or not) before it is
# executed. The TCP (ModbusConnectedRequestHandler) and serial
# (ModbusSingleRequestHandler) handlers both inherit execute from here.
_execute = async_io.ModbusBaseRequestHandler.execute


def counting_execute(self, request, *addr):
    address = getattr(request, "address", 0)
    count = getattr(request, "count", 0) or 0
    LOG.write(f"{request.unit_id} {request.function_code} {address} {count}\n")
    return _execute(self, request, *addr)


async_io.ModbusBaseRequestHandler.execute = counting_execute


async def serve_tcp():
    server = async_io.ModbusTcpServer(
        context, address=("127.0.0.1", PORT), allow_reuse_address=True, ignore_missing_slaves=True
    )
    task = asyncio.create_task(server.serve_forever())
    await server.serving
    print("ready", flush=True)
    await task


async def serve_rtu():
    server = async_io.ModbusSerialServer(
        context,
        framer=ModbusRtuFramer,
        port=RTU_PATH,
        baudrate=BAUD,
        bytesize=8,
        parity="N",
        stopbits=1,
        ignore_missing_slaves=True,
    )
    await server.start()
    # start() only logs some failures to open the port: make them fatal.
    if server.transport is None:
        sys.exit(f"cannot open {RTU_PATH}")
    print("ready", flush=True)
    await server.serve_forever()


async def main():
    await (serve_rtu() if RTU_PATH else serve_tcp())


asyncio.run(main())
