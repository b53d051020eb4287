"""Drives a fresh simulator to a mapped integration (as after a vendor's QA setup) and prints
"token service account" for the benchmark."""
import json
import sys
import urllib.request

BASE = sys.argv[1]
INTEGRATION = "65a0c0ffee0000000000f1a0"


def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("GRADIENT-TOKEN", token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


sim = f"/sim/integrations/{INTEGRATION}"
call("POST", sim + "/disconnect")
call("POST", sim + "/connect")
token = call("POST", sim + "/token")["gradientToken"]
vendor = call("POST", "/api/vendor-api/service", {
    "name": "Endpoint Protection", "description": "per endpoint",
    "category": "security", "subcategory": "endpoint detection and response (EDR)"}, token)
service = vendor["skus"][-1]["id"]
call("POST", "/api/vendor-api/organization/accounts",
     [{"id": f"acct-{i}", "name": f"Bench Account {i}"} for i in range(200)] + [{"id": "acme-1", "name": "Acme Corp"}], token)
call("PATCH", "/api/vendor-api/organization/status/pending", None, token)
call("POST", sim + "/step", {"step": "account_mapping"})
products = call("GET", sim + "/mappings")["psaProducts"]
edr = next(p["id"] for p in products if p["productCode"] == "SEC-EDR")
call("PUT", sim + f"/mappings/services/{service}", {"psaProductIds": [edr]})
call("POST", sim + "/finish")
print(token, service, "acme-1")
