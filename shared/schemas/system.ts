import * as z from "../zod";

export const healthView = z.onFirstUse(() => z.object({ status: z.literal("ok") }));

export const openApiDocument = z.onFirstUse(() =>
  z.looseObject({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }) }),
);
