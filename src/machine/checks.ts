/**
 * Checks of what Machine's methods are given: a spawn's session, a service
 * name. A RangeError names the mistake.
 */

/** The session a program is spawned in: 1 on win10 unless told (0..255), always 0 on nt4. */
export function spawnSession(profile: 'nt4' | 'win10', session: unknown): number {
  if (session === undefined) return profile === 'win10' ? 1 : 0;
  if (typeof session !== 'number' || !Number.isInteger(session) || session < 0 || session > 255) {
    throw new RangeError(`session must be an integer from 0 to 255, not ${String(session)}`);
  }
  if (profile === 'nt4' && session !== 0) throw new RangeError(`an nt4 machine has no sessions: session must be 0, not ${session}`);
  return session;
}

/**
 * A service name must be able to name a key under Services: not empty, no
 * backslash (the registry's separator), at most 255 characters (a key
 * name's limit). `loadDriver('')` would otherwise name the Services key itself.
 * https://learn.microsoft.com/windows/win32/sysinfo/registry-element-size-limits
 */
export function checkServiceName(serviceName: unknown): void {
  if (typeof serviceName !== 'string' || serviceName === '' || serviceName.includes('\\') || serviceName.length > 255) {
    const what = typeof serviceName === 'string' ? JSON.stringify(serviceName) : typeof serviceName;
    throw new RangeError(`a service name must be 1 to 255 characters with no backslash (it names a registry key under Services), not ${what}`);
  }
}
