/** Matchers and faults for the misbehaving proxies, in the words of the dependency behind each. */
import type { Fault, ProxyRequest } from './misbehaving-proxy';

/** A PostgREST RPC call of this function (`POST /rest/v1/rpc/{fn}`). */
export const rpcCall =
  (...functions: string[]) =>
  (request: ProxyRequest): boolean =>
    functions.some((fn) => request.path.split('?')[0] === `/rest/v1/rpc/${fn}`);

/** A DynamoDB call of this operation (the JSON protocol names it in `x-amz-target`). */
export const dynamoOperation =
  (...operations: string[]) =>
  (request: ProxyRequest): boolean =>
    operations.some((operation) => String(request.headers['x-amz-target'] ?? '').endsWith(`.${operation}`));

/** DynamoDB's answer to a request over the table's throughput: 400 with the exception type. */
export const THROTTLED: Fault = {
  kind: 'status',
  status: 400,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-ErrorType': 'ProvisionedThroughputExceededException' },
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  }),
};

/** A load balancer in front of PostgREST answering for it (HTML, no PostgREST error code). */
export const BAD_GATEWAY_HTML: Fault = { kind: 'status', status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };

/** PostgREST unable to reach Postgres (its own connection error code). */
export const POSTGREST_503: Fault = {
  kind: 'status',
  status: 503,
  body: JSON.stringify({ code: 'PGRST001', details: null, hint: null, message: 'Database client error. Retrying the connection.' }),
};

/** A 500 from something in front of PostgREST, with no PostgREST or SQLSTATE code. */
export const PLAIN_500: Fault = { kind: 'status', status: 500, body: JSON.stringify({ message: 'upstream failure' }) };
