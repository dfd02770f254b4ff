declare module "s3rver" {
  interface S3rverOptions {
    port?: number;
    address?: string;
    directory: string;
    silent?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs: Array<string | Buffer> }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Where s3rver keeps objects; requests reach it through `context.store`. */
    store: unknown;
    context: { store: unknown };
    /** Set once `run` resolves. */
    httpServer: import("node:http").Server;
    run(): Promise<{ address: string; port: number }>;
    /** Its request handler (Koa's), for a node:http server. */
    callback(): (request: import("node:http").IncomingMessage, response: import("node:http").ServerResponse) => Promise<void>;
    close(): Promise<void>;
  }
}
