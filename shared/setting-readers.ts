/**
 * Readers of environment variables into settings, for shared/config.ts. Every function reads its
 * settings at cold start; built with zod, the settings' schemas cost each cold start 8–10 ms
 * (measured: zod's code runs for the first time there), while GET /health needs no other schema.
 */

/** A setting's text refused: what it must be, and where inside it the fault is (a JSON setting's path). */
export class SettingRefused extends Error {
  constructor(
    message: string,
    readonly inside: readonly (string | number)[] = [],
  ) {
    super(message);
  }
}

export function refuse(message: string, inside?: readonly (string | number)[]): never {
  throw new SettingRefused(message, inside);
}

/** One environment variable's text (undefined when unset) read into a setting's value; throws SettingRefused. */
export type SettingReader<T> = (text: string | undefined) => T;
type Parse<T> = (text: string) => T;

export const required =
  <T>(parse: Parse<T>): SettingReader<T> =>
  (text) =>
    text === undefined ? refuse("required") : parse(text);

export const optional =
  <T>(parse: Parse<T>): SettingReader<T | undefined> =>
  (text) =>
    text === undefined ? undefined : parse(text);

export const withDefault =
  <T>(parse: Parse<T>, fallback: T): SettingReader<T> =>
  (text) =>
    text === undefined ? fallback : parse(text);

export const text =
  (minLength = 0): Parse<string> =>
  (text) =>
    text.length >= minLength ? text : refuse(`at least ${minLength} characters`);

export const isOneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  (values as readonly unknown[]).includes(value);

export const oneOf =
  <T extends string>(values: readonly T[]): Parse<T> =>
  (text) =>
    isOneOf(values, text) ? text : refuse(`one of ${values.join(", ")}`);

export const url: Parse<string> = (text) => (URL.canParse(text) ? text : refuse("an absolute URL, such as http://127.0.0.1:8000"));

export const number =
  ({ integer = false, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = {}): Parse<number> =>
  (text) => {
    const value = text.trim() === "" ? Number.NaN : Number(text);
    if (!Number.isFinite(value)) return refuse("a number");
    if (integer && !Number.isInteger(value)) return refuse("a whole number");
    if (value < min) return refuse(`at least ${min}`);
    if (value > max) return refuse(`at most ${max}`);
    return value;
  };

// The spellings zod's `stringbool` and so this registry's earlier releases took, in any case.
const TRUE_TEXTS = ["true", "1", "yes", "on", "y", "enabled"];
const FALSE_TEXTS = ["false", "0", "no", "off", "n", "disabled"];

export const flag: Parse<boolean> = (text) => {
  const lower = text.trim().toLowerCase();
  if (TRUE_TEXTS.includes(lower)) return true;
  if (FALSE_TEXTS.includes(lower)) return false;
  return refuse(`true or false (or one of ${[...TRUE_TEXTS, ...FALSE_TEXTS].join(", ")})`);
};

export const json =
  <T>(read: (value: unknown) => T): Parse<T> =>
  (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return refuse("must be JSON");
    }
    return read(value);
  };
