-- The simulator's database. One file, WAL mode; every request's writes happen in one transaction.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS partner (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, psa TEXT NOT NULL, psa_url TEXT NOT NULL DEFAULT '',
  currency TEXT NOT NULL DEFAULT 'USD');

-- Every PSA row belongs to one partner's PSA (`partner_id`): partners created by
-- `POST /sim/partners` each get their own copy of the seed's PSA, under ids of their own.
CREATE TABLE IF NOT EXISTS psa_company (
  id TEXT PRIMARY KEY, partner_id TEXT NOT NULL, psa_ref INTEGER, name TEXT NOT NULL, type TEXT NOT NULL,
  status TEXT NOT NULL, position INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS psa_agreement (
  id TEXT PRIMARY KEY, partner_id TEXT NOT NULL, company_id TEXT NOT NULL REFERENCES psa_company(id), name TEXT NOT NULL,
  status TEXT NOT NULL, billing_cycle TEXT NOT NULL, prorate INTEGER NOT NULL, position INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS psa_product (
  id TEXT PRIMARY KEY, partner_id TEXT NOT NULL, product_code TEXT NOT NULL, name TEXT NOT NULL,
  unit_cost REAL NOT NULL, unit_price REAL NOT NULL, position INTEGER NOT NULL,
  UNIQUE (partner_id, product_code));

CREATE TABLE IF NOT EXISTS psa_line (
  id TEXT PRIMARY KEY, partner_id TEXT NOT NULL, agreement_id TEXT NOT NULL REFERENCES psa_agreement(id),
  product_id TEXT NOT NULL REFERENCES psa_product(id), quantity REAL NOT NULL,
  effective_date TEXT, updated_at TEXT, position INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS psa_board (
  id TEXT PRIMARY KEY, partner_id TEXT NOT NULL, name TEXT NOT NULL, is_default INTEGER NOT NULL, position INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS psa_ticket (
  id INTEGER PRIMARY KEY, partner_id TEXT NOT NULL, board_id TEXT NOT NULL, company_id TEXT NOT NULL, integration_id TEXT NOT NULL,
  summary TEXT NOT NULL, description TEXT NOT NULL, priority INTEGER NOT NULL, status INTEGER NOT NULL,
  due_date_time TEXT, alert_id TEXT NOT NULL, message_id TEXT NOT NULL, service_id TEXT, created_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS vendor (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, integration_type TEXT NOT NULL,
  image_uri TEXT NOT NULL DEFAULT '', is_distributor INTEGER NOT NULL DEFAULT 0,
  integration_portal_url TEXT NOT NULL DEFAULT '', vendor_support_page_url TEXT NOT NULL DEFAULT '',
  modules TEXT NOT NULL, api_key_hash TEXT NOT NULL UNIQUE, api_key_plain TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS vendor_service (
  id TEXT PRIMARY KEY, vendor_id TEXT NOT NULL REFERENCES vendor(id), name TEXT NOT NULL,
  description TEXT NOT NULL, logo TEXT, category TEXT NOT NULL, subcategory TEXT NOT NULL,
  support_article TEXT, support_contact TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  seq INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS integration (
  id TEXT PRIMARY KEY, vendor_id TEXT NOT NULL REFERENCES vendor(id), partner_id TEXT NOT NULL,
  state TEXT NOT NULL, step TEXT, status TEXT, modules TEXT NOT NULL,
  partner_key_hash TEXT UNIQUE, partner_key_hint TEXT, partner_key_plain TEXT,
  token_generated_at TEXT, token_first_used_at TEXT, connected_at TEXT, finished_at TEXT,
  alert_board_id TEXT, cycle INTEGER NOT NULL DEFAULT 1);

-- Keys that once worked: a call with one is still a 401, but the journal can say why.
CREATE TABLE IF NOT EXISTS revoked_key (
  key_hash TEXT PRIMARY KEY, integration_id TEXT NOT NULL, reason TEXT NOT NULL, revoked_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS vendor_account (
  integration_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 1, is_arrears INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (integration_id, id));

CREATE TABLE IF NOT EXISTS org_service (
  integration_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 1, is_arrears INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (integration_id, id));

CREATE TABLE IF NOT EXISTS account_mapping (
  integration_id TEXT NOT NULL, vendor_account_id TEXT NOT NULL, mapping_id TEXT NOT NULL,
  psa_company_id TEXT NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (integration_id, vendor_account_id));

CREATE TABLE IF NOT EXISTS service_mapping (
  integration_id TEXT NOT NULL, service_id TEXT NOT NULL, psa_product_id TEXT NOT NULL,
  source TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (integration_id, service_id, psa_product_id));

CREATE TABLE IF NOT EXISTS unit_count (
  integration_id TEXT NOT NULL, service_id TEXT NOT NULL, account_id TEXT NOT NULL,
  unit_count REAL NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (integration_id, service_id, account_id));

CREATE TABLE IF NOT EXISTS unit_count_history (
  id INTEGER PRIMARY KEY, integration_id TEXT NOT NULL, cycle INTEGER NOT NULL, service_id TEXT NOT NULL,
  account_id TEXT NOT NULL, unit_count REAL NOT NULL, no_build INTEGER NOT NULL, received_at TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS alert (
  message_id TEXT PRIMARY KEY, integration_id TEXT NOT NULL, cycle INTEGER NOT NULL, account_id TEXT NOT NULL,
  alert_id TEXT NOT NULL, correlation_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
  priority INTEGER NOT NULL, status INTEGER NOT NULL, due_date_time TEXT, service_id TEXT,
  state TEXT NOT NULL, ticket_id TEXT, errors TEXT, message TEXT, status_code INTEGER,
  created_at TEXT NOT NULL, due_at_ms INTEGER NOT NULL, processed_at TEXT);

CREATE TABLE IF NOT EXISTS card_action (
  partner_id TEXT NOT NULL, card_id TEXT NOT NULL, period TEXT NOT NULL, action TEXT NOT NULL, vendor_quantity REAL,
  quantity REAL, effective_date TEXT, acted_at TEXT NOT NULL, PRIMARY KEY (partner_id, card_id, period));

-- Each partner's billing view: the cards of its last rebuild (JSON) and when it ran.
CREATE TABLE IF NOT EXISTS billing_view (
  partner_id TEXT PRIMARY KEY, cards TEXT NOT NULL, built_at TEXT NOT NULL);

-- The last CSV usage import: one row per (PSA company, product), rows of the file summed.
CREATE TABLE IF NOT EXISTS csv_usage (
  partner_id TEXT NOT NULL, company_id TEXT NOT NULL, product_id TEXT NOT NULL, quantity REAL NOT NULL, unit_cost REAL,
  rows TEXT NOT NULL, file_name TEXT NOT NULL, imported_at TEXT NOT NULL,
  PRIMARY KEY (partner_id, company_id, product_id));

-- What happened, for the QA checklist: partner actions and the vendor calls that matter.
-- Events of no integration (billing rebuilds, card actions) name their partner instead.
CREATE TABLE IF NOT EXISTS event (
  id INTEGER PRIMARY KEY, integration_id TEXT, cycle INTEGER NOT NULL, kind TEXT NOT NULL,
  at TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}', partner_id TEXT);

CREATE INDEX IF NOT EXISTS event_by_integration ON event (integration_id, cycle, kind);
-- Every count appends to the history, and nothing reads it by integration (the checklist reads
-- count_summary): its old index only cost each commit a page.
DROP INDEX IF EXISTS history_by_integration;
CREATE INDEX IF NOT EXISTS line_by_agreement ON psa_line (agreement_id);
-- The alert queue's look for what is due and when the next is: a seek among the pending
-- alerts, not a scan of every alert ever queued (it looks again as each batch falls due).
CREATE INDEX IF NOT EXISTS alert_pending ON alert (state, due_at_ms);

-- Costs that do not grow with history. `seq` orders lists; MAX(seq) for the next one is an
-- index seek instead of a table scan (a bulk post of n accounts was O(n^2)).
CREATE INDEX IF NOT EXISTS vendor_account_by_seq ON vendor_account (seq);
-- The account mapping step's pages: one integration's accounts in creation order, a seek and a
-- walk of LIMIT rows instead of a sort of all of them (100,000 at a large MSP). The mapped
-- counts per PSA company read the second one alone.
CREATE INDEX IF NOT EXISTS vendor_account_by_integration ON vendor_account (integration_id, seq);
CREATE INDEX IF NOT EXISTS account_mapping_by_company ON account_mapping (integration_id, psa_company_id);
CREATE INDEX IF NOT EXISTS org_service_by_seq ON org_service (seq);
CREATE INDEX IF NOT EXISTS vendor_service_by_seq ON vendor_service (seq);
CREATE INDEX IF NOT EXISTS vendor_service_by_vendor ON vendor_service (vendor_id, seq);
-- A company's agreements: every billable line checks its company has an active one (was a scan
-- of all agreements per line: 10,000 x 1,000 on the large seed).
CREATE INDEX IF NOT EXISTS agreement_by_company ON psa_agreement (company_id, status, position);
-- The first billing rebuild after a cycle's first count: a seek, not a scan of every rebuild.
CREATE INDEX IF NOT EXISTS event_by_kind_partner_at ON event (kind, partner_id, at);
-- One partner's PSA: every read of the PSA is by partner.
CREATE INDEX IF NOT EXISTS company_by_partner ON psa_company (partner_id, position);
CREATE INDEX IF NOT EXISTS line_by_partner ON psa_line (partner_id, position);
CREATE INDEX IF NOT EXISTS product_by_partner ON psa_product (partner_id, position);
CREATE INDEX IF NOT EXISTS board_by_partner ON psa_board (partner_id, position);
CREATE INDEX IF NOT EXISTS ticket_by_partner ON psa_ticket (partner_id, id);
CREATE INDEX IF NOT EXISTS integration_by_partner ON integration (partner_id);

-- What the QA checklist reads, kept up to date as events are recorded: per integration, cycle,
-- kind and variant (a status_set's status, whether a portal_opened had a URL), the first event
-- and the items all of them brought. `/sim/qa` reads these few rows instead of every event.
CREATE TABLE IF NOT EXISTS qa_fact (
  integration_id TEXT NOT NULL, cycle INTEGER NOT NULL, kind TEXT NOT NULL, variant TEXT NOT NULL,
  first_id INTEGER NOT NULL, first_at TEXT NOT NULL, first_detail TEXT NOT NULL,
  items INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (integration_id, cycle, kind, variant));

-- The counts accepted per integration and cycle, summed as they arrive (was an aggregate over
-- every count ever received on each poll of the checklist).
CREATE TABLE IF NOT EXISTS count_summary (
  integration_id TEXT NOT NULL, cycle INTEGER NOT NULL, accepted INTEGER NOT NULL DEFAULT 0,
  with_no_build INTEGER NOT NULL DEFAULT 0, first_at TEXT, last_at TEXT,
  PRIMARY KEY (integration_id, cycle));

-- Sync runs (`/sim/runs`): a burst of counts and the billing rebuild that ended it. Open while
-- `ended_at` is NULL; its counts are the partner's history rows in (history_after, history_upto].
CREATE TABLE IF NOT EXISTS sync_run (
  id INTEGER PRIMARY KEY, partner_id TEXT NOT NULL, started_at TEXT NOT NULL, last_at TEXT NOT NULL,
  ended_at TEXT, history_after INTEGER NOT NULL, history_upto INTEGER, counts INTEGER NOT NULL DEFAULT 0,
  no_build_counts INTEGER NOT NULL DEFAULT 0, not_mapped INTEGER NOT NULL DEFAULT 0,
  changed INTEGER NOT NULL DEFAULT 0, stopped INTEGER NOT NULL DEFAULT 0, rebuilt INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS sync_run_by_partner ON sync_run (partner_id, id);

-- A run's pairs: `card` (a card's old and new marks), `count` (a vendor pair's counts) and
-- `refused` (counts refused for an unmapped pair, one row per pair).
CREATE TABLE IF NOT EXISTS sync_run_pair (
  run_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
  integration_id TEXT, account_id TEXT, service_id TEXT, counts INTEGER, unit_count REAL, no_build INTEGER,
  card_id TEXT, change TEXT, counted INTEGER, psa_account_id TEXT, account_name TEXT, product_id TEXT,
  service_name TEXT, old_mark TEXT, new_mark TEXT, PRIMARY KEY (run_id, seq));
CREATE UNIQUE INDEX IF NOT EXISTS sync_refused_pair ON sync_run_pair (run_id, integration_id, account_id, service_id)
  WHERE kind = 'refused';
CREATE INDEX IF NOT EXISTS sync_pair_by_card ON sync_run_pair (card_id, run_id) WHERE kind = 'card';

-- What each partner's cards showed at the end of its last run (JSON), which the next run is
-- told against.
CREATE TABLE IF NOT EXISTS sync_baseline (partner_id TEXT PRIMARY KEY, cards TEXT NOT NULL);
