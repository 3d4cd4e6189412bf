// Key paths as errors print them: `targets[2].ping.interval`, `targets[0].labels["a b"]`, `(root)`.

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

export const ROOT_PATH = '';

export function childKey(parent: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === ROOT_PATH ? key : `${parent}.${key}`;
}

export function childIndex(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function displayPath(path: string): string {
  return path === ROOT_PATH ? '(root)' : path;
}
