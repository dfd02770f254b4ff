import type * as errors from "./errors";

/** The `code` an error class declares; the abstract base's plain `string` is none. */
type CodeOf<C> = C extends abstract new (...args: never) => { readonly code: infer Code } ? (string extends Code ? never : Code) : never;

/** Every code a domain error can carry: the API's stable error codes (README.md, "Routes"). */
export type ErrorCode = CodeOf<(typeof errors)[keyof typeof errors]>;
