/** Who is changing things, and under which request: stamped on every history entry. */
export interface Actor {
  readonly actor: string;
  readonly requestId: string;
}
