/**
 * What NtLoadDriver reads of a service key, as a program that writes the key
 * with Reg* and loads it sees it: the RegistryPath DriverEntry receives (the
 * key's stored name, whatever spelling the caller used), Type (a driver's,
 * else STATUS_ILL_FORMED_SERVICE_ENTRY), ImagePath (default when absent),
 * and Start (ignored by NtLoadDriver, honoured by StartService).
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  defineDriver, REG_DWORD, REG_EXPAND_SZ, REG_SZ, STATUS_ILL_FORMED_SERVICE_ENTRY, STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_NOT_FOUND,
  STATUS_SUCCESS,
} from 'ntshm/wdm';
import {
  ERROR_SERVICE_DISABLED, HKEY_LOCAL_MACHINE, KEY_ALL_ACCESS, SC_MANAGER_ALL_ACCESS, SERVICE_ALL_ACCESS, SERVICE_DEMAND_START,
  SERVICE_DISABLED, SERVICE_ERROR_NORMAL, SERVICE_FILE_SYSTEM_DRIVER, SERVICE_KERNEL_DRIVER, SERVICE_WIN32_OWN_PROCESS, type K32,
} from 'ntshm/win32';

const SE_LOAD_DRIVER_PRIVILEGE = 10;

const dword = (n: number): [number, Uint8Array] => [REG_DWORD, Uint8Array.from([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24])];
const string = (type: number, s: string): [number, Uint8Array] => {
  const b = new Uint8Array((s.length + 1) * 2);
  for (let i = 0; i < s.length; i++) b[2 * i] = s.charCodeAt(i) & 0xff, b[2 * i + 1] = s.charCodeAt(i) >> 8;
  return [type, b];
};

/** A driver that records that DriverEntry ran and the RegistryPath it got. */
function recorder(name: string) {
  const seen = { calls: 0, registryPath: '' };
  const definition = defineDriver({
    name,
    DriverEntry(_nt, driverObject, registryPath) {
      seen.calls++;
      seen.registryPath = registryPath;
      driverObject.DriverUnload = () => {};
      return STATUS_SUCCESS;
    },
  });
  return { definition, seen };
}

/**
 * A program that writes Services\<keyName> with `values` (Reg*), enables
 * SeLoadDriverPrivilege and calls NtLoadDriver(`loadName`). The images
 * installed are <keyName>.sys and Other.sys.
 */
async function loadFromKey(keyName: string, values: Record<string, [number, Uint8Array]>,
  loadName = `\\Registry\\Machine\\System\\CurrentControlSet\\Services\\${keyName}`) {
  const machine = await boot();
  const own = recorder(keyName);
  const other = recorder('Other');
  machine.installDriver(keyName, own.definition);
  machine.installDriver('Other', other.definition);
  let status = -1;
  machine.spawn((k32: K32) => {
    const key = k32.RegCreateKeyExW(HKEY_LOCAL_MACHINE, `System\\CurrentControlSet\\Services\\${keyName}`, 0, null, 0, KEY_ALL_ACCESS).hkResult;
    for (const [name, [type, data]] of Object.entries(values)) k32.RegSetValueExW(key, name, 0, type, data, data.length);
    k32.RegCloseKey(key);
    k32.RtlAdjustPrivilege(SE_LOAD_DRIVER_PRIVILEGE, true, false);
    status = k32.NtLoadDriver(loadName);
    return 0;
  }, { user: 'admin' });
  await machine.run();
  return { status, own: own.seen, other: other.seen };
}

const driverKey = { Type: dword(SERVICE_KERNEL_DRIVER), ImagePath: string(REG_EXPAND_SZ, '\\SystemRoot\\System32\\drivers\\Widget.sys') };

describe('the RegistryPath DriverEntry receives', () => {
  it('is the key\'s name as the registry stores it, not the caller\'s spelling', async () => {
    const r = await loadFromKey('Widget', driverKey, '\\registry\\MACHINE\\system\\currentcontrolset\\SERVICES\\widget\\');
    expect(r.status).toBe(STATUS_SUCCESS);
    expect(r.own.registryPath).toBe('\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Widget');
  });

  it('keeps the case the service key was created with', async () => {
    const r = await loadFromKey('MiXedCase', { Type: dword(SERVICE_KERNEL_DRIVER) }, '\\Registry\\Machine\\System\\CurrentControlSet\\Services\\MIXEDCASE');
    expect(r.own.registryPath).toBe('\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MiXedCase');
  });
});

describe('Type', () => {
  it.each([
    ['SERVICE_KERNEL_DRIVER', { Type: dword(SERVICE_KERNEL_DRIVER) }, STATUS_SUCCESS],
    ['SERVICE_FILE_SYSTEM_DRIVER', { Type: dword(SERVICE_FILE_SYSTEM_DRIVER) }, STATUS_SUCCESS],
    ['missing', {}, STATUS_ILL_FORMED_SERVICE_ENTRY],
    ['a Win32 service\'s (SERVICE_WIN32_OWN_PROCESS)', { Type: dword(SERVICE_WIN32_OWN_PROCESS) }, STATUS_ILL_FORMED_SERVICE_ENTRY],
    ['a REG_SZ instead of a REG_DWORD', { Type: string(REG_SZ, '1') }, STATUS_ILL_FORMED_SERVICE_ENTRY],
  ])('%s', async (_name, values, status) => {
    const r = await loadFromKey('Widget', values);
    expect(r.status >>> 0).toBe(status);
    // Refused before the image is loaded: DriverEntry never runs.
    expect(r.own.calls).toBe(status === STATUS_SUCCESS ? 1 : 0);
  });
});

describe('ImagePath', () => {
  it.each([
    ['absent: \\SystemRoot\\System32\\drivers\\<key name>.sys', {}, STATUS_SUCCESS, 'own'],
    ['empty: the same default', { ImagePath: string(REG_EXPAND_SZ, '') }, STATUS_SUCCESS, 'own'],
    ['relative to \\SystemRoot, naming another image', { ImagePath: string(REG_EXPAND_SZ, 'System32\\drivers\\Other.sys') }, STATUS_SUCCESS, 'other'],
    ['naming a file not on disk', { ImagePath: string(REG_EXPAND_SZ, '\\SystemRoot\\System32\\drivers\\Missing.sys') }, STATUS_OBJECT_NAME_NOT_FOUND, 'none'],
  ])('%s', async (_name, values, status, loaded) => {
    const r = await loadFromKey('Widget', { Type: dword(SERVICE_KERNEL_DRIVER), ...values });
    expect(r.status >>> 0).toBe(status);
    expect([r.own.calls, r.other.calls]).toEqual([loaded === 'own' ? 1 : 0, loaded === 'other' ? 1 : 0]);
  });
});

describe('Start', () => {
  it('is not read by NtLoadDriver: a SERVICE_DISABLED driver loads', async () => {
    const r = await loadFromKey('Widget', { ...driverKey, Start: dword(SERVICE_DISABLED) });
    expect(r.status).toBe(STATUS_SUCCESS);
    expect(r.own.calls).toBe(1);
  });

  it('SERVICE_DISABLED makes StartService fail with ERROR_SERVICE_DISABLED, and the driver is not loaded', async () => {
    const machine = await boot();
    const { definition, seen } = recorder('Widget');
    machine.installDriver('Widget', definition);
    const out: unknown[] = [];
    machine.spawn((k32: K32) => {
      const scm = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
      const svc = k32.CreateServiceW(scm, 'Widget', null, SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER, SERVICE_DISABLED,
        SERVICE_ERROR_NORMAL, '\\SystemRoot\\System32\\drivers\\Widget.sys').value;
      out.push(k32.StartServiceW(svc, 0, null), k32.GetLastError());
      return 0;
    });
    await machine.run();
    expect(out).toEqual([false, ERROR_SERVICE_DISABLED]);
    expect(seen.calls).toBe(0);
  });

  it('SERVICE_DEMAND_START lets StartService load the driver', async () => {
    const machine = await boot();
    const { definition, seen } = recorder('Widget');
    machine.installDriver('Widget', definition);
    let started = false;
    machine.spawn((k32: K32) => {
      const scm = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
      const svc = k32.CreateServiceW(scm, 'Widget', null, SERVICE_ALL_ACCESS, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START,
        SERVICE_ERROR_NORMAL, '\\SystemRoot\\System32\\drivers\\Widget.sys').value;
      started = k32.StartServiceW(svc, 0, null);
      return 0;
    });
    await machine.run();
    expect(started).toBe(true);
    expect(seen.calls).toBe(1);
  });
});

it('an empty DriverServiceName is STATUS_INVALID_PARAMETER', async () => {
  const r = await loadFromKey('Widget', driverKey, '');
  expect(r.status >>> 0).toBe(STATUS_INVALID_PARAMETER);
});
