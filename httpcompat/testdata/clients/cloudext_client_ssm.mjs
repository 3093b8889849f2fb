// The AWS SDK for JavaScript v3's SSM client, unchanged, against parsec's
// Cloud Extensions API: endpoint at the server, the extension key as
// credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). Prints what it
// read as JSON.
import { SSMClient, GetParameterCommand, GetParametersCommand, ParameterNotFound } from "@aws-sdk/client-ssm";

const ev = JSON.parse(process.argv[2]);
const client = (secretAccessKey) => new SSMClient({
  endpoint: ev.endpoint + "/parameterstore",
  region: "us-east-1",
  maxAttempts: 1,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey },
});
const ssm = client(process.env.AWS_SECRET_ACCESS_KEY);
const get = async (Name, WithDecryption) => (await ssm.send(new GetParameterCommand({ Name, WithDecryption }))).Parameter.Value;

const out = {
  string: await get(ev.plain),
  secureDecrypted: await get(ev.secure, true),
  secureRaw: await get(ev.secure),
};
const r = await ssm.send(new GetParametersCommand({ Names: [ev.plain, ev.missing] }));
out.found = r.Parameters.map((p) => p.Name);
out.invalid = r.InvalidParameters;
try {
  await get(ev.missing);
  out.notFound = "no error";
} catch (e) {
  out.notFound = e instanceof ParameterNotFound ? "ParameterNotFound" : `other: ${e.name}`;
}
try {
  await client("wrong-secret").send(new GetParameterCommand({ Name: ev.plain }));
  out.badSignature = "accepted";
} catch (e) {
  out.badSignature = e.name;
  out.badSignatureStatus = e.$metadata?.httpStatusCode;
}
for (let i = 0; i < ev.reads; i++) {
  await get(ev.hot);
}
console.log(JSON.stringify(out));
