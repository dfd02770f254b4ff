/**
 * Calls an endpoint as MLflow's Python client does (`mlflow/utils/rest_utils.py`, `call_endpoint`):
 * GET carries the request message's fields as query parameters, a repeated field as repeated
 * parameters; every other method, DELETE included, sends it as a JSON body. The bearer token is
 * what MLFLOW_TRACKING_TOKEN makes the client send.
 */
export interface MlflowAnswer {
  readonly status: number;
  /** The answer as JSON: golden tests compare whole documents of many shapes. */
  readonly body: any;
}

export type MlflowCall = (
  method: "GET" | "POST" | "PATCH" | "DELETE",
  endpoint: string,
  message?: Record<string, unknown>,
) => Promise<MlflowAnswer>;

export function mlflowClient(baseUrl: () => string, token?: string): MlflowCall {
  return async (method, endpoint, message = {}) => {
    const url = new URL(`${baseUrl()}/api/2.0/mlflow/${endpoint}`);
    if (method === "GET") {
      for (const [field, value] of Object.entries(message))
        for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(field, String(item));
    }
    const response = await fetch(url, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: method === "GET" ? undefined : JSON.stringify(message),
    });
    return { status: response.status, body: await response.json() };
  };
}
