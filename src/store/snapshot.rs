//! The whole simulated state as plain rows, for `/sim/snapshots`: every table of
//! `STATE_TABLES` plus `meta` (but its schema version), column names and values as JSON.
//! Rows rather than SQLite's file image, so that an exported snapshot is readable and
//! diffable in a support ticket, survives a change of SQLite version or page size, and is
//! checked column by column on import instead of trusted as a database file.

use super::{clear_state, columns_of, STATE_TABLES};
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, Transaction};
use serde_json::{json, Map, Value};

const META: &str = "meta";

fn to_json(v: ValueRef) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => json!(i),
        ValueRef::Real(f) => json!(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        // No table holds blobs; kept as text should one ever appear.
        ValueRef::Blob(b) => Value::String(hex::encode(b)),
    }
}

fn to_sql(v: &Value) -> Option<Sql> {
    Some(match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(*b as i64),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64()?),
        },
        Value::String(s) => Sql::Text(s.clone()),
        _ => return None,
    })
}

fn dump_table(c: &Connection, table: &str) -> rusqlite::Result<Value> {
    let filter = if table == META {
        " WHERE key <> 'schema_version'"
    } else {
        ""
    };
    let mut st = c.prepare(&format!("SELECT * FROM {table}{filter} ORDER BY rowid"))?;
    let columns: Vec<String> = st.column_names().into_iter().map(String::from).collect();
    let n = columns.len();
    let mut rows = vec![];
    let mut q = st.query([])?;
    while let Some(r) = q.next()? {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            row.push(to_json(r.get_ref(i)?));
        }
        rows.push(Value::Array(row));
    }
    Ok(json!({"columns": columns, "rows": rows}))
}

/// Every table's rows: `{table: {columns: [...], rows: [[...], ...]}}`.
pub fn dump(c: &Connection) -> rusqlite::Result<Value> {
    let mut tables = Map::new();
    for table in STATE_TABLES.iter().rev().chain(std::iter::once(&META)) {
        tables.insert((*table).to_string(), dump_table(c, table)?);
    }
    Ok(Value::Object(tables))
}

/// A dump of schema 1 (before isolated partners) as schema 2 writes it: the same migration as
/// `migrate_to_partners` does to a database file. Every PSA row, card action and CSV import
/// becomes the one partner's; events of no integration name it; the billing view leaves
/// `meta` for its own table. Files exported before partners existed thus still import.
pub fn upgrade_v1(tables: &mut Value) -> Result<(), String> {
    let obj = tables.as_object_mut().ok_or("tables must be an object")?;
    let column = |t: &Value, name: &str| {
        t["columns"]
            .as_array()
            .and_then(|c| c.iter().position(|v| v.as_str() == Some(name)))
    };
    let partner = obj
        .get("partner")
        .and_then(|t| Some(t["rows"].get(0)?.get(column(t, "id")?)?.clone()))
        .unwrap_or(Value::Null);
    let add_column = |t: &mut Value, value: &dyn Fn(&Value, &[Value]) -> Value| {
        let Some(columns) = t["columns"].as_array().cloned() else {
            return;
        };
        if columns.iter().any(|c| c.as_str() == Some("partner_id")) {
            return;
        }
        let row_value: Vec<Value> = t["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| value(t, r.as_array().map(Vec::as_slice).unwrap_or(&[])))
                    .collect()
            })
            .unwrap_or_default();
        t["columns"].as_array_mut().expect("checked").push(json!("partner_id"));
        if let Some(rows) = t["rows"].as_array_mut() {
            for (row, v) in rows.iter_mut().zip(row_value) {
                if let Some(r) = row.as_array_mut() {
                    r.push(v);
                }
            }
        }
    };
    for table in super::PARTNER_TABLES {
        if let Some(t) = obj.get_mut(table) {
            add_column(t, &|_, _| partner.clone());
        }
    }
    if let Some(t) = obj.get_mut("event") {
        add_column(
            t,
            &|t, row| match column(t, "integration_id").and_then(|i| row.get(i)) {
                Some(Value::Null) | None => partner.clone(),
                Some(_) => Value::Null,
            },
        );
    }
    let mut view = json!({"columns": ["partner_id", "cards", "built_at"], "rows": []});
    if let Some(rows) = obj.get_mut(META).and_then(|m| m["rows"].as_array_mut()) {
        let take = |rows: &mut Vec<Value>, key: &str| {
            let i = rows
                .iter()
                .position(|r| r.get(0).and_then(Value::as_str) == Some(key))?;
            rows.remove(i).get(1).cloned()
        };
        let cards = take(rows, "billing_cards");
        let built_at = take(rows, "billing_built_at");
        if let (Some(cards), Some(built_at), false) = (cards, built_at, partner.is_null()) {
            view["rows"] = json!([[partner, cards, built_at]]);
        }
    }
    obj.entry("billing_view").or_insert(view);
    Ok(())
}

/// A dump of schema 2 as schema 3 writes it: without the columns nothing read
/// (`migrate::UNREAD_COLUMNS`), as `drop_unread_columns` does to a database file. Only
/// `integration.last_synced_at` is in a dump (the other two are in derived tables, never
/// exported); a column already absent is no error.
pub fn upgrade_v2(tables: &mut Value) -> Result<(), String> {
    let obj = tables.as_object_mut().ok_or("tables must be an object")?;
    for (table, column) in super::migrate::UNREAD_COLUMNS {
        let Some(t) = obj.get_mut(table) else { continue };
        let Some(at) = t["columns"]
            .as_array()
            .and_then(|c| c.iter().position(|v| v.as_str() == Some(column)))
        else {
            continue;
        };
        t["columns"].as_array_mut().expect("checked").remove(at);
        for (i, row) in t["rows"].as_array_mut().into_iter().flatten().enumerate() {
            let row = row
                .as_array_mut()
                .filter(|r| r.len() > at)
                .ok_or_else(|| format!("{table}.rows[{i}] is shorter than its columns"))?;
            row.remove(at);
        }
    }
    Ok(())
}

/// How many rows a dump holds.
pub fn row_count(tables: &Value) -> usize {
    tables
        .as_object()
        .map(|t| t.values().map(|v| v["rows"].as_array().map_or(0, Vec::len)).sum())
        .unwrap_or(0)
}

/// Checks a dump against this database's schema without writing: every table known, every
/// column known, every row as long as its columns, every value a scalar.
pub fn check(c: &Connection, tables: &Value) -> Result<(), String> {
    let obj = tables.as_object().ok_or("tables must be an object")?;
    for (name, t) in obj {
        if name != META && !STATE_TABLES.contains(&name.as_str()) {
            return Err(format!("unknown table {name:?}"));
        }
        let known = columns_of(c, name).map_err(|e| e.to_string())?;
        let columns = t["columns"]
            .as_array()
            .ok_or_else(|| format!("{name}.columns must be an array"))?;
        for col in columns {
            let col = col
                .as_str()
                .ok_or_else(|| format!("{name}.columns must hold strings"))?;
            if !known.iter().any(|k| k == col) {
                return Err(format!("{name} has no column {col:?}"));
            }
        }
        let rows = t["rows"]
            .as_array()
            .ok_or_else(|| format!("{name}.rows must be an array"))?;
        for (i, row) in rows.iter().enumerate() {
            let row = row
                .as_array()
                .filter(|r| r.len() == columns.len())
                .ok_or_else(|| format!("{name}.rows[{i}] must hold {} values", columns.len()))?;
            if row.iter().any(|v| to_sql(v).is_none()) {
                return Err(format!("{name}.rows[{i}] holds a value that is not a scalar"));
            }
        }
    }
    for table in STATE_TABLES {
        if !obj.contains_key(table) {
            return Err(format!("table {table:?} is missing"));
        }
    }
    Ok(())
}

/// Replaces the whole state with a checked dump, inside the caller's transaction (so a row
/// that breaks a constraint leaves everything as it was).
pub fn load(tx: &Transaction, tables: &Value) -> rusqlite::Result<()> {
    clear_state(tx)?;
    // Parents before children, so that foreign keys hold row by row.
    for table in STATE_TABLES.iter().rev().chain(std::iter::once(&META)) {
        let t = &tables[*table];
        let (Some(columns), Some(rows)) = (t["columns"].as_array(), t["rows"].as_array()) else {
            continue;
        };
        if rows.is_empty() {
            continue;
        }
        let names: Vec<&str> = columns.iter().filter_map(Value::as_str).collect();
        let marks = vec!["?"; names.len()].join(", ");
        let verb = if *table == META { "INSERT OR REPLACE" } else { "INSERT" };
        let mut st = tx.prepare(&format!("{verb} INTO {table} ({}) VALUES ({marks})", names.join(", ")))?;
        for row in rows {
            if *table == META && row.get(0).and_then(Value::as_str) == Some("schema_version") {
                continue;
            }
            let values: Vec<Sql> = row
                .as_array()
                .map(|r| r.iter().map(|v| to_sql(v).unwrap_or(Sql::Null)).collect())
                .unwrap_or_default();
            st.execute(rusqlite::params_from_iter(values))?;
        }
    }
    // The QA facts and count summaries follow from what was loaded.
    super::rederive(tx)?;
    Ok(())
}

/// The tables of the sync runs, which dumps of schemas before them lack.
pub const RUN_TABLES: [&str; 3] = ["sync_run", "sync_run_pair", "sync_baseline"];

/// A dump from before sync runs as this schema writes it: no run yet, so the tables are empty.
pub fn upgrade_to_runs(tables: &mut Value) -> Result<(), String> {
    let obj = tables.as_object_mut().ok_or("tables must be an object")?;
    for table in RUN_TABLES {
        obj.entry(table).or_insert_with(|| json!({"columns": [], "rows": []}));
    }
    Ok(())
}
