/** hh:mm:ss of a FILETIME, as the client's dialog shows it (UTC fields of the local time the driver wrote). */
export function fileTimeToText(ft: bigint): string {
  const d = new Date(Number(ft / 10_000n) - 11_644_473_600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return Number.isNaN(d.getTime()) ? '??:??:??' : `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}
