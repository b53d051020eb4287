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
        self._call("POST", "/organization/accounts",
                   [{"id": a_id, "name": name, "description": ""} for a_id, name in accounts])
        self._call("PATCH", "/organization/status/pending")
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
