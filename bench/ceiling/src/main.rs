//! Minimal actix-web + rusqlite server: the vendor API calls the benchmark sends to the
//! simulator, doing only the unavoidable work. Every call compares the GRADIENT-TOKEN header
//! byte for byte. `GET /api/vendor-api` reads one row (the row read); `POST
//! /api/vendor-api/service/{serviceId}/count` parses `{accountId, unitCount}` and inserts one row
//! in its own transaction (the durable insert); `GET /list/{owner}` reads an owner's accounts
//! (10 for owner 10, 1,000 for owner 1000) and answers them as a JSON array (the list read);
//! `POST /api/vendor-api/organization/accounts` parses one `{id, name, description}` or an
//! array of them and inserts them in one transaction, refusing an id taken (the batch insert).
//! One connection behind a mutex, WAL, `synchronous` as the simulator (NORMAL) unless `--sync
//! full`. No logging, no journal, no lint.
//!   ceiling --port 18080 --db /tmp/ceiling.db --token <GRADIENT-TOKEN> [--sync full]

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use parking_lot::Mutex;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

struct State {
    conn: Mutex<Connection>,
    token: String,
}

#[derive(Deserialize, Serialize)]
struct Account {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Accounts {
    One(Account),
    Many(Vec<Account>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Count {
    account_id: String,
    unit_count: f64,
}

fn authorized(req: &HttpRequest, s: &State) -> bool {
    req.headers().get("gradient-token").map(|v| v.as_bytes()) == Some(s.token.as_bytes())
}

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized().json(serde_json::json!({"message": "Unauthorized"}))
}

async fn vendor(req: HttpRequest, s: web::Data<State>) -> HttpResponse {
    if !authorized(&req, &s) {
        return unauthorized();
    }
    let body: rusqlite::Result<String> = s
        .conn
        .lock()
        .prepare_cached("SELECT body FROM vendor WHERE id = ?1")
        .and_then(|mut st| st.query_row([1], |r| r.get(0)));
    match body {
        Ok(b) => HttpResponse::Ok().content_type("application/json").body(b),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn count(req: HttpRequest, s: web::Data<State>, path: web::Path<String>, body: web::Json<Count>) -> HttpResponse {
    if !authorized(&req, &s) {
        return unauthorized();
    }
    if body.unit_count < 0.0 {
        return HttpResponse::BadRequest().json(serde_json::json!({"message": "unitCount must be >= 0"}));
    }
    let id = s
        .conn
        .lock()
        .prepare_cached("INSERT INTO counts (service_id, account_id, unit_count) VALUES (?1, ?2, ?3)")
        .and_then(|mut st| st.insert(rusqlite::params![path.as_str(), body.account_id, body.unit_count]));
    match id {
        Ok(id) => HttpResponse::Created().json(serde_json::json!({"status": 201, "message": "Created", "id": id})),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn list(req: HttpRequest, s: web::Data<State>, owner: web::Path<i64>) -> HttpResponse {
    if !authorized(&req, &s) {
        return unauthorized();
    }
    let rows: rusqlite::Result<Vec<Account>> = {
        let conn = s.conn.lock();
        conn.prepare_cached("SELECT id, name, description FROM account WHERE owner = ?1 ORDER BY seq")
            .and_then(|mut st| {
                st.query_map([*owner], |r| {
                    Ok(Account {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        description: r.get(2)?,
                    })
                })?
                .collect()
            })
    };
    match rows {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn create_accounts(req: HttpRequest, s: web::Data<State>, body: web::Json<Accounts>) -> HttpResponse {
    if !authorized(&req, &s) {
        return unauthorized();
    }
    let accounts = match body.into_inner() {
        Accounts::One(a) => vec![a],
        Accounts::Many(v) => v,
    };
    let inserted = (|| -> rusqlite::Result<bool> {
        let mut conn = s.conn.lock();
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached("INSERT OR IGNORE INTO account (owner, id, name, description) VALUES (0, ?1, ?2, ?3)")?;
            for a in &accounts {
                if st.execute(rusqlite::params![a.id, a.name, a.description])? == 0 {
                    return Ok(false);
                }
            }
        }
        tx.commit()?;
        Ok(true)
    })();
    match inserted {
        Ok(true) => HttpResponse::Created().json(accounts),
        Ok(false) => HttpResponse::Conflict().json(serde_json::json!({"message": "A resource with this Id already exists."})),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = arg("--port").and_then(|p| p.parse().ok()).unwrap_or(18080);
    let db = arg("--db").unwrap_or_else(|| "ceiling.db".into());
    let token = arg("--token").unwrap_or_default();
    let sync = arg("--sync").unwrap_or_else(|| "normal".into());
    let conn = Connection::open(&db).map_err(std::io::Error::other)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(std::io::Error::other)?;
    conn.pragma_update(None, "synchronous", &sync).map_err(std::io::Error::other)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS vendor (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS counts (id INTEGER PRIMARY KEY, service_id TEXT NOT NULL,
           account_id TEXT NOT NULL, unit_count REAL NOT NULL);
         CREATE TABLE IF NOT EXISTS account (seq INTEGER PRIMARY KEY, owner INTEGER NOT NULL, id TEXT NOT NULL,
           name TEXT NOT NULL, description TEXT NOT NULL, UNIQUE (owner, id));
         CREATE INDEX IF NOT EXISTS account_owner ON account (owner, seq);
         DELETE FROM account;
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
           INSERT INTO account (owner, id, name, description)
           SELECT 1000, printf('acct-%05d', i), printf('Bench Account %05d', i), '' FROM n;
         INSERT INTO account (owner, id, name, description)
           SELECT 10, id, name, description FROM account WHERE owner = 1000 ORDER BY seq LIMIT 10;
         INSERT OR REPLACE INTO vendor (id, body) VALUES (1, '{\"id\":\"65a0c0ffee0000000000d3e0\",\"name\":\"Pelican Endpoint Security\",\"description\":\"Demo vendor\",\"integrationType\":\"custom\",\"skus\":[]}');",
    )
    .map_err(std::io::Error::other)?;
    let state = web::Data::new(State {
        conn: Mutex::new(conn),
        token,
    });
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/api/vendor-api", web::get().to(vendor))
            .route("/api/vendor-api/service/{serviceId}/count", web::post().to(count))
            .route("/list/{owner}", web::get().to(list))
            .route("/api/vendor-api/organization/accounts", web::post().to(create_accounts))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
