#!/usr/bin/python3
"""An S3 client built from a COSI v1alpha1 credentials Secret's BucketInfo JSON alone.

    cosi_s3.py INFO_FILE put KEY TEXT [--bucket B]   PutObject, prints the ETag
    cosi_s3.py INFO_FILE get KEY [--bucket B]        GetObject, prints the body
    cosi_s3.py INFO_FILE list [--bucket B]           ListObjectsV2, prints the keys
    cosi_s3.py INFO_FILE keys                        the BucketInfo's fields, secrets hidden

Endpoint, region and key come from spec.secretS3, the bucket from spec.bucketName (or
--bucket). Path-style addressing (vms-sim serves no virtual hosts). An S3 error prints
"S3 error <Code>" and exits 3; an endpoint that does not answer prints "S3 unreachable"
and exits 4; a broken BucketInfo exits 2. Never prints the secret.
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError


def main(argv):
    args = list(argv[1:])
    bucket = None
    if "--bucket" in args:
        i = args.index("--bucket")
        bucket = args[i + 1]
        del args[i : i + 2]
    if len(args) < 2:
        sys.exit(__doc__)
    info_file, op, rest = args[0], args[1], args[2:]
    try:
        with open(info_file, encoding="utf-8") as f:
            info = json.load(f)
        spec = info["spec"]
        s3 = spec["secretS3"]
        endpoint, region = s3["endpoint"], s3["region"]
        key_id, secret = s3["accessKeyID"], s3["accessSecretKey"]
        bucket = bucket or spec["bucketName"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("BucketInfo unusable: %s: %r" % (type(e).__name__, e), file=sys.stderr)
        return 2
    if op == "keys":
        shown = {k: ("<%d characters>" % len(v) if k == "accessSecretKey" else v) for k, v in s3.items()}
        print(json.dumps({"bucketName": spec["bucketName"], "authenticationType": spec.get("authenticationType"),
                          "protocols": spec.get("protocols"), "secretS3": shown}, indent=2))
        return 0
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                      retries={"max_attempts": 2, "mode": "standard"},
                      connect_timeout=30, read_timeout=60))
    try:
        if op == "put" and len(rest) == 2:
            r = client.put_object(Bucket=bucket, Key=rest[0], Body=rest[1].encode())
            print(r["ETag"])
        elif op == "get" and len(rest) == 1:
            r = client.get_object(Bucket=bucket, Key=rest[0])
            sys.stdout.write(r["Body"].read().decode())
        elif op == "list" and not rest:
            r = client.list_objects_v2(Bucket=bucket)
            print(" ".join(o["Key"] for o in r.get("Contents", [])))
        else:
            sys.exit(__doc__)
    except ClientError as e:
        print("S3 error %s" % e.response.get("Error", {}).get("Code", "?"))
        return 3
    except BotoCoreError as e:
        print("S3 unreachable: %s (%s)" % (type(e).__name__, endpoint))
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
