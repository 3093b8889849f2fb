// The seed article's client, as code written for the AWS Parameters and
// Secrets Lambda Extension has it: axios, a lower-case token header from
// AWS_SESSION_TOKEN, names with '/' encoded as %2F, withDecryption=true.
// The Go test runs it against a real httpcompat server and checks what it
// prints (one JSON object).
const axios = require('axios');

const client = axios.create({
  baseURL: `http://localhost:${process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT}`,
  timeout: 5000,
  headers: {
    'x-aws-parameters-secrets-token': process.env.AWS_SESSION_TOKEN,
  },
});

exports.handler = async (event) => {
  const result = {};
  const ssmResponse = await client.get(
    `/systemsmanager/parameters/get?name=${encodeURIComponent(event.parameter)}&withDecryption=true`,
  );
  result.parameter = ssmResponse.data.Parameter.Value;

  const smResponse = await client.get(
    `/secretsmanager/get?secretId=${encodeURIComponent(event.secret)}`,
  );
  result.secret = smResponse.data.SecretString;

  try {
    await client.get(`/systemsmanager/parameters/get?name=${encodeURIComponent(event.missing)}`);
    result.notFoundStatus = 200;
  } catch (error) {
    result.notFoundStatus = error.response.status;
    result.notFoundType = error.response.headers['x-amzn-errortype'];
    result.notFoundBody = error.response.data;
  }

  try {
    await client.get(`/secretsmanager/get?secretId=${encodeURIComponent(event.secret)}`, {
      headers: { 'x-aws-parameters-secrets-token': 'not-the-token' },
    });
    result.unauthorizedStatus = 200;
  } catch (error) {
    result.unauthorizedStatus = error.response.status;
    result.unauthorizedBody = error.response.data;
  }
  return result;
};

if (require.main === module) {
  exports
    .handler(JSON.parse(process.argv[2]))
    .then((r) => process.stdout.write(JSON.stringify(r)))
    .catch((e) => {
      console.error(e.message);
      process.exit(1);
    });
}
