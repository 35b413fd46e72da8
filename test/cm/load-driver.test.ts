/**
 * Drivers loaded by their service key: NtLoadDriver reads ImagePath, a
 * DriverEntry receives its key's name and reads its own values with Zw*,
 * CreateService writes the key a program can read back, and the privilege
 * check in front of a user-mode NtLoadDriver.
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  defineDriver, KEY_ALL_ACCESS, KEY_READ, KeyBasicInformation, KeyValueFullInformation, KeyValuePartialInformation, OBJ_CASE_INSENSITIVE,
  OBJ_KERNEL_HANDLE, REG_CREATED_NEW_KEY, REG_DWORD, REG_EXPAND_SZ, STATUS_BUFFER_OVERFLOW, STATUS_IMAGE_ALREADY_LOADED,
  STATUS_NO_MORE_ENTRIES, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_PRIVILEGE_NOT_HELD, STATUS_SUCCESS, type Nt,
} from 'ntshm/wdm';
import {
  HKEY_LOCAL_MACHINE, SC_MANAGER_ALL_ACCESS, SERVICE_ALL_ACCESS, SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
  SERVICE_KERNEL_DRIVER, type K32,
} from 'ntshm/win32';

const SERVICES = '\\Registry\\Machine\\System\\CurrentControlSet\\Services';
/** The name DriverEntry receives: the key's full name as the registry stores it, not as the caller spelled it. */
const registryPath = (name: string) => `\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\${name}`;
const SE_LOAD_DRIVER_PRIVILEGE = 10;

/** A driver whose DriverEntry records its RegistryPath and runs `entry`. */
function recordingDriver(name: string, entry: (nt: Nt, registryPath: string) => void = () => {}) {
  const seen = { registryPath: '' };
  const definition = defineDriver({
    name,
    DriverEntry(nt, _driverObject, registryPath) {
      seen.registryPath = registryPath;
      entry(nt, registryPath);
      return STATUS_SUCCESS;
    },
  });
  return { definition, seen };
}

describe('a driver and its service key', () => {
  it('DriverEntry receives its key\'s name and reads ImagePath and Start with ZwOpenKey + ZwQueryValueKey', async () => {
    const read: Record<string, unknown> = {};
    const { definition, seen } = recordingDriver('KeyReader', (nt, registryPath) => {
      const open = nt.ZwOpenKey(KEY_READ, nt.InitializeObjectAttributes(registryPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE));
      read.open = open.status;
      read.kernelHandle = open.keyHandle < 0;
      const image = nt.ZwQueryValueKey(open.keyHandle, 'ImagePath', KeyValueFullInformation, 512);
      read.image = image.status;
      read.imageInfo = image.keyValueInformation;
      const start = nt.ZwQueryValueKey(open.keyHandle, 'Start', KeyValuePartialInformation, 512);
      read.start = start.keyValueInformation;
      read.close = nt.ZwClose(open.keyHandle);
    });
    const machine = await boot();
    expect(machine.loadDriver('KeyReader', definition)).toBe(STATUS_SUCCESS);
    expect(seen.registryPath).toBe(registryPath('KeyReader'));
    expect(read.open).toBe(STATUS_SUCCESS);
    expect(read.kernelHandle).toBe(true);
    expect(read.image).toBe(STATUS_SUCCESS);
    expect(read.imageInfo).toMatchObject({ Type: REG_EXPAND_SZ, Name: 'ImagePath' });
    const data = (read.imageInfo as { Data: Uint8Array }).Data;
    expect(String.fromCharCode(...new Uint16Array(data.buffer, data.byteOffset, data.length / 2 - 1))).toBe('\\SystemRoot\\System32\\drivers\\KeyReader.sys');
    expect(read.start).toEqual({ TitleIndex: 0, Type: REG_DWORD, DataLength: 4, Data: Uint8Array.from([SERVICE_DEMAND_START, 0, 0, 0]) });
    expect(read.close).toBe(STATUS_SUCCESS);
  });

  it('a driver creates, writes, enumerates and deletes keys of its own with Zw*', async () => {
    const log: unknown[] = [];
    const { definition } = recordingDriver('ZwUser', (nt, registryPath) => {
      const params = nt.ZwCreateKey(KEY_ALL_ACCESS, nt.InitializeObjectAttributes(`${registryPath}\\Parameters`, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE), 0, null, 0);
      log.push(params.status, params.disposition);
      log.push(nt.ZwSetValueKey(params.keyHandle, 'Level', 0, REG_DWORD, [7, 0, 0, 0]));
      const short = nt.ZwQueryValueKey(params.keyHandle, 'Level', KeyValuePartialInformation, 13);
      log.push(short.status, short.resultLength, short.keyValueInformation);
      const service = nt.ZwOpenKey(KEY_READ, nt.InitializeObjectAttributes(registryPath, OBJ_KERNEL_HANDLE));
      log.push(nt.ZwEnumerateKey(service.keyHandle, 0, KeyBasicInformation, 256).keyInformation);
      log.push(nt.ZwEnumerateKey(service.keyHandle, 1, KeyBasicInformation, 256).status);
      log.push(nt.ZwEnumerateValueKey(params.keyHandle, 0, KeyValuePartialInformation, 256).keyValueInformation);
      log.push(nt.ZwDeleteValueKey(params.keyHandle, 'Level'));
      log.push(nt.ZwQueryValueKey(params.keyHandle, 'Level', KeyValuePartialInformation, 64).status);
      log.push(nt.ZwDeleteKey(params.keyHandle));
      nt.ZwClose(params.keyHandle);
      nt.ZwClose(service.keyHandle);
    });
    const machine = await boot();
    expect(machine.loadDriver('ZwUser', definition)).toBe(STATUS_SUCCESS);
    expect(log).toEqual([
      STATUS_SUCCESS, REG_CREATED_NEW_KEY,
      STATUS_SUCCESS,
      STATUS_BUFFER_OVERFLOW, 16, { TitleIndex: 0, Type: REG_DWORD, DataLength: 4, Data: Uint8Array.from([7]) },
      expect.objectContaining({ Name: 'Parameters', NameLength: 20 }),
      STATUS_NO_MORE_ENTRIES,
      { TitleIndex: 0, Type: REG_DWORD, DataLength: 4, Data: Uint8Array.from([7, 0, 0, 0]) },
      STATUS_SUCCESS,
      STATUS_OBJECT_NAME_NOT_FOUND,
      STATUS_SUCCESS,
    ]);
  });

  it('loading a loaded driver again is STATUS_IMAGE_ALREADY_LOADED; one with no image on disk is STATUS_OBJECT_NAME_NOT_FOUND', async () => {
    const machine = await boot();
    const { definition } = recordingDriver('Twice');
    expect(machine.loadDriver('Twice', definition)).toBe(STATUS_SUCCESS);
    expect(machine.loadDriver('Twice')).toBe(STATUS_IMAGE_ALREADY_LOADED);
    let missing = -1;
    const { definition: loader } = recordingDriver('Loader', (nt) => {
      missing = nt.ZwLoadDriver(`${SERVICES}\\NoSuchService`);
    });
    machine.loadDriver('Loader', loader);
    expect(missing).toBe(STATUS_OBJECT_NAME_NOT_FOUND);
  });
});

describe('CreateService writes the service key', () => {
  it('ImagePath (REG_EXPAND_SZ, as given), Type, Start and ErrorControl read back with RegQueryValueExW', async () => {
    const machine = await boot();
    const { definition, seen } = recordingDriver('Written');
    machine.installDriver('Written', definition);
    let r: Record<string, unknown> = {};
    machine.spawn((k32: K32) => {
      const scm = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
      const svc = k32.CreateServiceW(scm, 'Written', 'Written driver', SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START,
        SERVICE_ERROR_NORMAL, 'C:\\ntshm\\Written.sys').value;
      const key = k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'System\\CurrentControlSet\\Services\\Written', 0, KEY_READ).hkResult;
      const buffer = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      const image = k32.RegQueryValueExW(key, 'ImagePath', null, buffer, 4096);
      const imagePath = k32.getString(buffer, 'utf-16le');
      const dword = (name: string) => (k32.RegQueryValueExW(key, name, null, buffer, 4), k32.getUint32(buffer));
      r = { image: image.type, imagePath, type: dword('Type'), start: dword('Start'), errorControl: dword('ErrorControl'), started: k32.StartServiceW(svc, 0, null) };
      return 0;
    });
    await machine.run();
    expect(r).toEqual({ image: REG_EXPAND_SZ, imagePath: 'C:\\ntshm\\Written.sys', type: SERVICE_KERNEL_DRIVER, start: SERVICE_DEMAND_START,
      errorControl: SERVICE_ERROR_NORMAL, started: true });
    expect(seen.registryPath).toBe(registryPath('Written'));
  });

  it('DeleteService deletes the key once the service is stopped and its last handle closed', async () => {
    const machine = await boot();
    machine.installDriver('Doomed', recordingDriver('Doomed').definition);
    const seen: number[] = [];
    machine.spawn((k32: K32) => {
      const scm = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
      const svc = k32.CreateServiceW(scm, 'Doomed', null, SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START,
        SERVICE_ERROR_NORMAL, '\\SystemRoot\\System32\\drivers\\Doomed.sys').value;
      const open = () => k32.RegOpenKeyExW(HKEY_LOCAL_MACHINE, 'System\\CurrentControlSet\\Services\\Doomed', 0, KEY_READ);
      k32.DeleteService(svc);
      seen.push(open().value);
      k32.CloseServiceHandle(svc);
      seen.push(open().value);
      return 0;
    });
    await machine.run();
    expect(seen).toEqual([0, 2 /* ERROR_FILE_NOT_FOUND */]);
  });
});

describe('NtLoadDriver from user mode', () => {
  const program = (k32: K32, enable: boolean) => {
    const out: Record<string, unknown> = {};
    if (enable) out.adjust = k32.RtlAdjustPrivilege(SE_LOAD_DRIVER_PRIVILEGE, true, false);
    out.load = k32.NtLoadDriver(`${SERVICES}\\Direct`);
    return out;
  };
  const machineWithKey = async () => {
    const machine = await boot();
    const { definition, seen } = recordingDriver('Direct');
    machine.installDriver('Direct', definition);
    machine.kernel.scm.writeServiceKey('Direct', 'Direct', SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
      '\\SystemRoot\\System32\\drivers\\Direct.sys');
    return { machine, seen };
  };

  it.each([
    ['a standard user (no SeLoadDriverPrivilege)', 'user' as const, false],
    ['an administrator who has not enabled the privilege', 'admin' as const, false],
  ])('is STATUS_PRIVILEGE_NOT_HELD for %s', async (_name, user, enable) => {
    const { machine, seen } = await machineWithKey();
    let out: Record<string, unknown> = {};
    machine.spawn((k32: K32) => ((out = program(k32, enable)), 0), { user });
    await machine.run();
    expect(out.load).toBe(STATUS_PRIVILEGE_NOT_HELD);
    expect(seen.registryPath).toBe('');
  });

  it('loads the driver for an administrator who enabled SeLoadDriverPrivilege with RtlAdjustPrivilege', async () => {
    const { machine, seen } = await machineWithKey();
    let out: Record<string, unknown> = {};
    machine.spawn((k32: K32) => ((out = program(k32, true)), 0), { user: 'admin' });
    await machine.run();
    expect(out).toEqual({ adjust: { status: STATUS_SUCCESS, wasEnabled: false }, load: STATUS_SUCCESS });
    expect(seen.registryPath).toBe(registryPath('Direct'));
  });

  it('a standard user cannot enable a privilege it does not hold', async () => {
    const { machine } = await machineWithKey();
    let out: Record<string, unknown> = {};
    machine.spawn((k32: K32) => ((out = program(k32, true)), 0), { user: 'user' });
    await machine.run();
    expect(out).toEqual({ adjust: { status: STATUS_PRIVILEGE_NOT_HELD, wasEnabled: false }, load: STATUS_PRIVILEGE_NOT_HELD });
  });
});
