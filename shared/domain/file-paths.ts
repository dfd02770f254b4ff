/** A version holds 1 to this many files. */
export const MAX_FILES_PER_VERSION = 10_000;
/** A file path's UTF-8 length at most (S3 keys, and what a download writes to disk, stay within common limits). */
export const MAX_PATH_BYTES = 1024;
/** A file or directory name's UTF-8 length at most: what Linux, macOS and Windows file systems all hold. */
export const MAX_NAME_BYTES = 255;

/** One file of a manifest that breaks a rule: which one (index and path) and the rule, said so the caller can fix it. */
export interface PathProblem {
  readonly index: number;
  readonly path: string;
  readonly rule: string;
}

/**
 * The rule a file path breaks, or undefined when it is a relative, `/`-separated path that means the
 * same file on every platform. Paths are refused rather than rewritten (no NFC normalisation, no
 * collapsing of `a//b`): the path a client declared is the one it uploads and the one a download
 * writes, so the registry never answers with a path the client did not send.
 */
export function pathRuleBroken(path: string): string | undefined {
  if (path.length === 0) return "a path is not empty";
  if (Buffer.byteLength(path, "utf8") > MAX_PATH_BYTES) return `a path is at most ${MAX_PATH_BYTES} bytes of UTF-8`;
  if (/\p{Cc}/u.test(path)) return "a path has no control characters (NUL, tab, newline…)";
  if (path.includes("\\")) return "segments are separated by '/', never '\\'";
  if (path.startsWith("/")) return "a path is relative: no leading '/'";
  if (path.normalize("NFC") !== path)
    return "a path is NFC-normalised Unicode (what macOS and most tools write; normalise it before sending)";
  const segments = path.split("/");
  if (segments.some((segment) => segment === "")) return "a path has no empty segments: no '//' and no trailing '/'";
  if (segments.some((segment) => segment === ".")) return "a path has no '.' segments";
  if (segments.some((segment) => segment === "..")) return "a path has no '..' segments";
  if (segments.some((segment) => Buffer.byteLength(segment, "utf8") > MAX_NAME_BYTES))
    return `each name in a path is at most ${MAX_NAME_BYTES} bytes of UTF-8 (what file systems hold)`;
  return undefined;
}

/**
 * Every rule the manifest's paths break, in file order: each path's own rule, paths that name the
 * same file on a case-insensitive file system (macOS, Windows) as an earlier one, and paths that
 * make one name both a file and a directory (`model` beside `model/weights.bin`).
 */
export function manifestPathProblems(paths: readonly string[]): PathProblem[] {
  const problems: PathProblem[] = [];
  const firstIndexOf = new Map<string, number>();
  for (const [index, path] of paths.entries()) {
    const rule = pathRuleBroken(path);
    const folded = foldCase(path);
    const first = firstIndexOf.get(folded);
    if (rule) problems.push({ index, path, rule });
    else if (first === undefined) firstIndexOf.set(folded, index);
    else problems.push({ index, path, rule: `paths are unique ignoring case: file ${first} is '${paths[first]}'` });
  }
  return [...problems, ...fileDirectoryClashes(paths, firstIndexOf)].sort((a, b) => a.index - b.index);
}

/**
 * A name as case-insensitive file systems compare it: upper case, then lower, so that the letters
 * lower case alone keeps apart are one too (final and medial sigma, a ligature and its letters).
 * It may fold a little more than one file system does (ß and ss): a refusal, never a lost file.
 */
const foldCase = (path: string): string => path.toUpperCase().toLowerCase();

/**
 * Files whose path is a directory of another file's path, ignoring case: a download could write
 * one of them but never both. Each clash is named at the later of its two files.
 */
function fileDirectoryClashes(paths: readonly string[], indexOfFolded: ReadonlyMap<string, number>): PathProblem[] {
  // '/' sorts as NUL, which no path holds: a path is then followed at once by the paths under it.
  const sorted = [...indexOfFolded]
    .map(([folded, index]) => ({ key: folded.replaceAll("/", "\u0000"), index }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const problems: PathProblem[] = [];
  for (const [at, file] of sorted.entries()) {
    const under = sorted[at + 1];
    if (!under?.key.startsWith(`${file.key}\u0000`)) continue;
    const [earlier, later] = file.index < under.index ? [file.index, under.index] : [under.index, file.index];
    const rule = `a path is not both a file and a directory: file ${earlier} is '${paths[earlier]}'`;
    problems.push({ index: later, path: paths[later] as string, rule });
  }
  return problems;
}
