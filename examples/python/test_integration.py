"""Testing the integration in CI: the simulator plays the partner, the integration plays itself."""
import time

from integration import Integration

PORTAL = "https://vendor.example/gradient"
ACCOUNTS = [("acme-1", "Acme Corp"), ("cedar-1", "Cedar Ridge Law LLP")]


def connect_and_map(sim, simulator):
    """The partner has handed over a token; the integration connects; the partner maps."""
    integration = Integration(simulator, sim.token)
    service_id = integration.connect(PORTAL, ACCOUNTS)

    sim.call("POST", sim.integration("/step"), {"step": "account_mapping"})  # auto-maps Acme Corp
    candidates = sim.call("GET", sim.integration("/mappings"))
    cedar = next(c["id"] for c in candidates["psaAccounts"] if c["name"] == "Cedar Ridge Law, LLP")
    edr = next(p["id"] for p in candidates["psaProducts"] if p["productCode"] == "SEC-EDR")
    sim.call("PUT", sim.integration("/mappings/accounts/cedar-1"), {"psaAccountId": cedar})
    sim.call("POST", sim.integration("/step"), {"step": "service_mapping"})
    sim.call("PUT", sim.integration(f"/mappings/services/{service_id}"), {"psaProductIds": [edr]})
    sim.call("POST", sim.integration("/step"), {"step": "review"})
    sim.call("POST", sim.integration("/finish"))
    return integration


def card(billing, account):
    return next(c for c in billing["cards"] if c["accountName"] == account and c["productCode"] == "SEC-EDR")


def test_usage_reaches_the_billing_page_and_the_qa_checklist(sim, simulator):
    integration = connect_and_map(sim, simulator)

    assert integration.sync({"acme-1": 48, "cedar-1": 31}) == []

    billing = sim.call("POST", "/billing/rebuild")  # or advance the clock past the debounce
    assert card(billing, "Acme Corp")["vendorQuantity"] == 48
    assert card(billing, "Cedar Ridge Law, LLP")["vendorQuantity"] == 31
    assert billing["period"] == "2027-01"  # the frozen clock's month

    [qa] = sim.call("GET", "/qa")  # this partner's one integration
    assert qa["integrationId"] == sim.integration_id
    done = {s["key"] for s in qa["steps"] if s["done"]}
    assert {"authenticated", "next_lit", "accounts_mapped", "services_mapped", "usage_visible"} <= done


def test_an_unmapped_account_is_refused_and_the_rest_sync(sim, simulator):
    integration = connect_and_map(sim, simulator)
    sim.call("DELETE", sim.integration("/mappings/accounts/cedar-1"))  # the partner unmaps one

    assert integration.sync({"acme-1": 50, "cedar-1": 30}) == ["cedar-1"]
    billing = sim.call("POST", "/billing/rebuild")
    assert card(billing, "Acme Corp")["vendorQuantity"] == 50


def test_another_partners_token_sees_nothing_of_this_one(sim, simulator, new_partner):
    integration = connect_and_map(sim, simulator)
    integration.sync({"acme-1": 7})
    other = new_partner("someone else")
    stranger = Integration(simulator, other.token)
    assert stranger._call("GET", "/organization/accounts") == []
    stranger.service_id = integration.service_id  # the vendor's service, shared by its partners
    assert stranger.sync({"acme-1": 999}) == ["acme-1"]  # not mapped at this partner
    billing = sim.call("POST", "/billing/rebuild")
    assert card(billing, "Acme Corp")["vendorQuantity"] == 7


def test_a_day_later_the_debounced_rebuild_has_run(sim, simulator):
    integration = connect_and_map(sim, simulator)
    integration.sync({"acme-1": 12})
    assert sim.call("GET", "/billing")["pendingRebuild"] is True  # the clock is frozen
    sim.call("POST", "/clock", {"advanceMs": 86_400_000})
    for _ in range(100):
        billing = sim.call("GET", "/billing")
        if not billing["pendingRebuild"]:
            break
        time.sleep(0.05)
    assert card(billing, "Acme Corp")["vendorQuantity"] == 12
    sim.call("POST", "/clock", {"set": "2027-01-31T12:00:00.000Z"})  # back, for the other tests
