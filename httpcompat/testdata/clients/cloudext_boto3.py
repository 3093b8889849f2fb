"""boto3's SSM and Secrets Manager clients, unchanged, against parsec's Cloud
Extensions API: endpoint_url at the server, the extension key as credentials
(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). Prints what it read as JSON."""
import json
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

ev = json.loads(sys.argv[1])
cfg = Config(retries={"max_attempts": 1, "mode": "standard"})


def client(service, path, secret=None):
    kw = {}
    if secret is not None:
        kw = {"aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": secret}
    return boto3.client(service, endpoint_url=ev["endpoint"] + path, region_name="us-east-1", config=cfg, **kw)


ssm = client("ssm", "/parameterstore")
out = {
    "string": ssm.get_parameter(Name=ev["plain"])["Parameter"]["Value"],
    "secureDecrypted": ssm.get_parameter(Name=ev["secure"], WithDecryption=True)["Parameter"]["Value"],
    "secureRaw": ssm.get_parameter(Name=ev["secure"])["Parameter"]["Value"],
}
r = ssm.get_parameters(Names=[ev["plain"], ev["missing"]])
out["found"] = [p["Name"] for p in r["Parameters"]]
out["invalid"] = r["InvalidParameters"]
try:
    ssm.get_parameter(Name=ev["missing"])
    out["notFound"] = "no error"
except ssm.exceptions.ParameterNotFound as e:
    out["notFound"] = type(e).__name__
try:
    client("ssm", "/parameterstore", secret="wrong-secret").get_parameter(Name=ev["plain"])
    out["badSignature"] = "accepted"
except botocore.exceptions.ClientError as e:
    out["badSignature"] = e.response["Error"]["Code"]
    out["badSignatureStatus"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
for _ in range(ev["reads"]):
    ssm.get_parameter(Name=ev["hot"])

sm = client("secretsmanager", "/secretsmanager")
out["secret"] = sm.get_secret_value(SecretId=ev["secret"])["SecretString"]
try:
    sm.get_secret_value(SecretId=ev["missingSecret"])
    out["secretNotFound"] = "no error"
except sm.exceptions.ResourceNotFoundException as e:
    out["secretNotFound"] = type(e).__name__
print(json.dumps(out))
