/**
 * Where the session lives between app starts. The shape is React Native's AsyncStorage
 * (`@react-native-async-storage/async-storage` fits as is); the web can pass `localStorage`.
 */
export interface TokenStore {
  getItem(key: string): Promise<string | null> | string | null;
  setItem(key: string, value: string): Promise<void> | void;
  removeItem(key: string): Promise<void> | void;
}

/** The default: forgotten when the process (or page) ends. */
export function memoryTokenStore(): TokenStore {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}
