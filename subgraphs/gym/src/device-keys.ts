import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new device key: 32 random bytes, base64url; only its hash is stored. */
export const generateDeviceKey = (): string => randomBytes(32).toString('base64url');

/** sha256 hex; keys are random 256-bit values, so a fast unsalted hash is enough. */
export const hashDeviceKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** Whether `key` is the one whose hash is stored, compared in constant time. */
export function deviceKeyMatches(key: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const given = Buffer.from(hashDeviceKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
