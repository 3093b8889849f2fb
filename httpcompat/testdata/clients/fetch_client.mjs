// Node's built-in fetch against the extension's API, as a function without
// dependencies would call it. Prints one JSON object for the Go test.
const base = `http://localhost:${process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT}`;
const headers = { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN };
const event = JSON.parse(process.argv[2]);

async function get(path, h = headers) {
  const res = await fetch(base + path, { headers: h, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), errorType: res.headers.get('x-amzn-errortype'), text };
}

const result = {};
let r = await get(`/systemsmanager/parameters/get?name=${encodeURIComponent(event.parameter)}&withDecryption=true`);
result.parameter = JSON.parse(r.text).Parameter.Value;
r = await get(`/secretsmanager/get?secretId=${encodeURIComponent(event.secret)}`);
result.secret = JSON.parse(r.text).SecretString;
r = await get(`/systemsmanager/parameters/get?name=${encodeURIComponent(event.missing)}`);
result.notFoundStatus = r.status;
result.notFoundType = r.errorType;
result.notFoundBody = r.text;
r = await get(`/secretsmanager/get?secretId=${encodeURIComponent(event.secret)}`, {
  'X-Aws-Parameters-Secrets-Token': 'not-the-token',
});
result.unauthorizedStatus = r.status;
result.unauthorizedBody = r.text;
process.stdout.write(JSON.stringify(result));
