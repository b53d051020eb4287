"""A vendor's integration with Synthesize, as small as it gets: the code under test.

It speaks only the vendor API (`/api/vendor-api/...`) with the GRADIENT-TOKEN it is given, the
way it would talk to production. Nothing here knows it runs against the simulator.
"""
import json
import urllib.error
import urllib.request


class SynthesizeError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


class Integration:
    def __init__(self, base_url, token, service_name="Endpoint Protection"):
        self.base = base_url.rstrip("/") + "/api/vendor-api"
        self.token = token
        self.service_name = service_name

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("GRADIENT-TOKEN", self.token)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise SynthesizeError(e.code, json.loads(e.read() or b"null")) from None

    def connect(self, portal_url, accounts):
        """First contact: portal URL, the service, the accounts, then status pending (Next lights up)."""
        self._call("PATCH", "", {"integrationPortalUrl": portal_url})
        vendor = self._call("GET", "")["data"]
        service = next((s for s in vendor["skus"] if s["name"] == self.service_name), None)
        if service is None:
            created = self._call("POST", "/service", {
                "name": self.service_name,
                "description": "Endpoint protection, billed per protected device",
                "category": "security",
                "subcategory": "endpoint detection and response (EDR)",
            })
            service = next(s for s in created["skus"] if s["name"] == self.service_name)
        self.service_id = service["id"]
        # After a disconnect the partner's accounts are gone: send the ones Synthesize lacks.
        have = {a["id"] for a in self._call("GET", "/organization/accounts")}
        missing = [(a_id, name) for a_id, name in accounts if a_id not in have]
        if missing:
            self._call("POST", "/organization/accounts",
                       [{"id": a_id, "name": name, "description": ""} for a_id, name in missing])
        self._call("PATCH", "/organization/status/pending")
        return self.service_id

    def find_service(self):
        """The service's id, as created by an earlier connect."""
        vendor = self._call("GET", "")["data"]
        self.service_id = next(s["id"] for s in vendor["skus"] if s["name"] == self.service_name)
        return self.service_id

    def sync(self, usage):
        """Sends one unit count per account; returns the accounts Synthesize refused (unmapped)."""
        refused = []
        for account_id, devices in usage.items():
            try:
                self._call("POST", f"/service/{self.service_id}/count",
                           {"accountId": account_id, "unitCount": devices})
            except SynthesizeError as e:
                if e.status != 404:
                    raise
                refused.append(account_id)
        return refused


if __name__ == "__main__":
    # The one-command form: `synthesize-sim qa --connect "python3 integration.py connect"
    # --sync "python3 integration.py sync"` runs this with the partner's token in the environment.
    import os
    import sys

    base = os.environ["GRADIENT_BASE_URL"].rstrip("/").removesuffix("/api")
    integration = Integration(base, os.environ["GRADIENT_TOKEN"])
    if sys.argv[1:] == ["connect"]:
        integration.connect("https://vendor.example/gradient", [("acme-1", "Acme Corp"), ("cedar-1", "Cedar Ridge Law LLP")])
        print("connected: status pending, accounts sent")
    elif sys.argv[1:] == ["sync"]:
        integration.find_service()
        refused = integration.sync({"acme-1": 48, "cedar-1": 31})
        print(f"synced; not mapped: {refused or 'none'}")
    else:
        sys.exit("usage: integration.py connect|sync")
