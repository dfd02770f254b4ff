import { defineConfig } from "vitest/config";

/**
 * Three tiers: `npm run test:unit` (project unit), `test:integration` (projects infra and
 * integration), `test:e2e` (project e2e); `npm test` runs them all. Only the integration project
 * starts DynamoDB Local and s3rver (its global setup), so the unit tier pays no engine start-up;
 * the e2e tests start `npm start`'s registry themselves.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // beforeAll hooks in the order declared, afterAll in reverse: useTestRegistry relies on it.
    sequence: { hooks: "stack" },
    env: {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/client/**/*.test.ts"],
          exclude: ["test/**/*.e2e.test.ts"],
          // One module graph per worker instead of one per file: two thirds of the tier's time was
          // module loading. A unit test that stubs the environment or a client prototype restores it.
          isolate: false,
        },
      },
      {
        // CDK synth bundles every function with esbuild: seconds a file, too slow for the unit tier.
        extends: true,
        test: { name: "infra", include: ["test/infra/**/*.test.ts"] },
      },
      {
        extends: true,
        test: { name: "integration", include: ["test/integration/**/*.test.ts"], globalSetup: ["test/support/global-setup.ts"] },
      },
      {
        extends: true,
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts", "test/**/*.e2e.test.ts"] },
      },
    ],
  },
});
