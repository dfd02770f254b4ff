import * as z from "../zod";
import { MODEL_NAME_PATTERN } from "../domain/naming";
import { SEMVER_PATTERN } from "../domain/model-uri";

export const modelName = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .string()
    .check(
      z.minLength(3, "a model name has 3 to 64 characters"),
      z.maxLength(64, "a model name has 3 to 64 characters"),
      z.regex(
        MODEL_NAME_PATTERN,
        "a model name is lowercase letters and digits, words joined by '_' or '-', starting with a letter (e.g. fraud_detector)",
      ),
    )
    .register(z.globalRegistry, { description: "Product-centric model name", example: "fraud_detector" }),
);

/**
 * A map keyed by the caller's names (tags, metrics, params…). zod silently drops a `__proto__` key
 * (assigning it would replace the map's prototype), which would lose the entry without a word:
 * it is refused instead. Other prototype names (`constructor`, `toString`) are ordinary keys.
 */
export function namedMap<K extends z.core.$ZodType<string, string>, V extends z.core.$ZodType>(key: K, value: V) {
  const map = z.record(key, value);
  // A check of the raw input typed as the map's input, so that clients built from these schemas see the map's shape.
  const withoutPrototypeKey = z.custom<z.input<typeof map>>((input) => !hasOwnPrototypeKey(input), {
    path: ["__proto__"],
    message: "'__proto__' cannot be a name here (it is JavaScript's object prototype); choose another",
  });
  return z.pipe(withoutPrototypeKey, map);
}

const hasOwnPrototypeKey = (input: unknown) => typeof input === "object" && input !== null && Object.hasOwn(input, "__proto__");

/**
 * Every number the registry stores: DynamoDB keeps magnitudes from 1E-130 to 9.99…E+125, and the
 * AWS SDK refuses integers beyond 2^53 − 1 (it could not send them exactly), so the range is the
 * narrower of the two. Checked here, at the edge, so no number fails later in the store.
 */
export const MAX_STORABLE_NUMBER = Number.MAX_SAFE_INTEGER;
export const MIN_STORABLE_MAGNITUDE = 1e-130;
const isStorable = (n: number) =>
  Number.isFinite(n) && Math.abs(n) <= MAX_STORABLE_NUMBER && (n === 0 || Math.abs(n) >= MIN_STORABLE_MAGNITUDE);
export const storableNumber = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .number()
    .check(
      z.refine(
        isStorable,
        `must be a finite number from -${MAX_STORABLE_NUMBER} to ${MAX_STORABLE_NUMBER}, and 0 or at least ${MIN_STORABLE_MAGNITUDE} in magnitude`,
      ),
    ),
);

export const tagKey = /* @__PURE__ */ z.onFirstUse(() =>
  z.string().check(z.minLength(1), z.maxLength(128, "a tag key has at most 128 characters")),
);
export const tagValue = /* @__PURE__ */ z.onFirstUse(() => z.string().check(z.maxLength(256, "a tag value has at most 256 characters")));
/** A check that a map holds at most `max` entries. */
export const maxEntries = <T extends object>(max: number, message: string) => z.refine<T>((map) => Object.keys(map).length <= max, message);

export const tags = /* @__PURE__ */ z.onFirstUse(() =>
  namedMap(tagKey, tagValue)
    .check(maxEntries(50, "at most 50 tags"))
    .register(z.globalRegistry, { description: "Free-form labels, at most 50", example: { team: "risk" } }),
);

export const description = /* @__PURE__ */ z.onFirstUse(() => z.string().check(z.maxLength(4096)));

const LIMIT_RULE = "limit is a whole number from 1 to 100";
/** A page size in decimal digits: `Number()` alone would also take "0x10", " 5" or "1e1". */
export const limit = /* @__PURE__ */ z.onFirstUse(() =>
  z._default(
    z.pipe(
      z.string().check(z.regex(/^\d{1,3}$/, LIMIT_RULE)),
      z.pipe(z.transform(Number), z.int().check(z.gte(1, LIMIT_RULE), z.lte(100, LIMIT_RULE))),
    ),
    25,
  ),
);
/**
 * The longest cursor a listing answers: its key holds a dataset or run id (256 characters) twice, each
 * character up to 6 bytes of JSON (a control character's escape), under 4 KiB in all, 4/3 that in base64.
 */
export const MAX_CURSOR_LENGTH = 6144;
export const cursor = /* @__PURE__ */ z.onFirstUse(() =>
  z
    .optional(z.string().check(z.minLength(1), z.maxLength(MAX_CURSOR_LENGTH)))
    .register(z.globalRegistry, { description: "Opaque cursor from a previous page's nextCursor" }),
);

export const semver = /* @__PURE__ */ z.onFirstUse(() =>
  z.string().check(z.regex(SEMVER_PATTERN, "a semantic version label is MAJOR.MINOR.PATCH, each at most 15 digits, e.g. 1.4.0")),
);

export const errorBody = /* @__PURE__ */ z.onFirstUse(() =>
  z.object({
    error: z.object({ code: z.string(), message: z.string(), details: z.optional(z.unknown()), requestId: z.optional(z.string()) }),
  }),
);
