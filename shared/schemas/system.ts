import * as z from "../zod";

export const healthView = /* @__PURE__ */ z.onFirstUse(() => z.object({ status: z.literal("ok") }));

export const openApiDocument = /* @__PURE__ */ z.onFirstUse(() =>
  z.looseObject({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }) }),
);
