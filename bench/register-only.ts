/** `npx tsx bench/register-only.ts [files]`: the register figure of `npm run bench` on its own, against a fresh local registry. */
import { withLocalRegistry } from "./local-registry";
import { benchRegisterManyFiles } from "./register";

const files = Number(process.argv[2] ?? 10_000);
withLocalRegistry(async (registry) => {
  const figure = await benchRegisterManyFiles(registry, { files });
  console.log(`register ${figure.files} files: ${figure.status} in ${(figure.registerMs / 1000).toFixed(1)} s`);
}).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
