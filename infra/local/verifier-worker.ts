import { handler } from "../../functions/verifier/handler";
import { serveInvocations } from "./worker-pool";

/** The verifier's execution environment under `npm start` (./worker-pool.ts): the same handler as in AWS. */
serveInvocations("model-registry-verifier", handler);
