"""Python's urllib against the extension's API, as a Python function would
call it. Prints one JSON object for the Go test."""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE = "http://localhost:" + os.environ["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"]
TOKEN = os.environ["AWS_SESSION_TOKEN"]


def get(path, token=TOKEN):
    req = urllib.request.Request(BASE + path, headers={"X-Aws-Parameters-Secrets-Token": token})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def main():
    event = json.loads(sys.argv[1])
    q = lambda s: urllib.parse.quote(s, safe="")
    result = {}
    _, body, _ = get("/systemsmanager/parameters/get?name=%s&withDecryption=true" % q(event["parameter"]))
    result["parameter"] = json.loads(body)["Parameter"]["Value"]
    _, body, _ = get("/secretsmanager/get?secretId=%s" % q(event["secret"]))
    result["secret"] = json.loads(body)["SecretString"]
    status, body, headers = get("/systemsmanager/parameters/get?name=%s" % q(event["missing"]))
    result["notFoundStatus"] = status
    result["notFoundType"] = headers["x-amzn-errortype"]
    result["notFoundBody"] = body
    status, body, _ = get("/secretsmanager/get?secretId=%s" % q(event["secret"]), token="not-the-token")
    result["unauthorizedStatus"] = status
    result["unauthorizedBody"] = body
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
