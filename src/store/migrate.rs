//! Upgrades of database files written by earlier schemas, run at open before anything else
//! writes: each step looks at the file's tables, not at its version number, so a step that
//! already ran (or a fresh file) is left alone and an interrupted upgrade resumes.

use rusqlite::Connection;

/// Tables whose rows belong to one partner since schema 2 (each has a `partner_id` column).
pub const PARTNER_TABLES: [&str; 8] = [
    "psa_company",
    "psa_agreement",
    "psa_product",
    "psa_line",
    "psa_board",
    "psa_ticket",
    "card_action",
    "csv_usage",
];

/// A table's column names, none if it does not exist (the migration and snapshot import).
pub(crate) fn columns_of(c: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = c.prepare(&format!("PRAGMA table_info({table})"))?;
    let cols = st.query_map([], |r| r.get::<_, String>(1))?;
    cols.collect()
}

/// Schema 1 to 2, in one transaction: a file of a build from before isolated partners had one
/// partner and global PSA rows. Each table of `PARTNER_TABLES` still without `partner_id` is
/// rebuilt with it (a column cannot be added to a primary key or a UNIQUE constraint in
/// place), every row given to the file's partner; global events name that partner; the
/// billing view moves from `meta` to its own table. A fresh or current file is left alone.
pub fn migrate_to_partners(conn: &Connection, schema: &str) -> rusqlite::Result<()> {
    let mut stale = vec![];
    for table in PARTNER_TABLES {
        let cols = columns_of(conn, table)?;
        if !cols.is_empty() && !cols.iter().any(|c| c == "partner_id") {
            stale.push(table);
        }
    }
    let event_cols = columns_of(conn, "event")?;
    let stale_events = !event_cols.is_empty() && !event_cols.iter().any(|c| c == "partner_id");
    if stale.is_empty() && !stale_events {
        return Ok(());
    }
    // Renamed tables keep their old references as written, so the rebuilt tables are the
    // ones every reference names once the old ones are dropped.
    conn.pragma_update(None, "legacy_alter_table", "ON")?;
    let out = (|| {
        let tx = conn.unchecked_transaction()?;
        let partner: String = tx.query_row(
            "SELECT COALESCE((SELECT id FROM partner ORDER BY rowid LIMIT 1), '')",
            [],
            |r| r.get(0),
        )?;
        if stale_events {
            tx.execute_batch("ALTER TABLE event ADD COLUMN partner_id TEXT; DROP INDEX IF EXISTS event_by_kind_at;")?;
            tx.execute(
                "UPDATE event SET partner_id = ?1 WHERE integration_id IS NULL",
                [&partner],
            )?;
        }
        for table in &stale {
            tx.execute_batch(&format!("ALTER TABLE {table} RENAME TO v1_{table}"))?;
        }
        tx.execute_batch(schema)?;
        for table in &stale {
            let cols = columns_of(&tx, &format!("v1_{table}"))?.join(", ");
            tx.execute(
                &format!("INSERT INTO {table} (partner_id, {cols}) SELECT ?1, {cols} FROM v1_{table}"),
                [&partner],
            )?;
        }
        for table in stale.iter().rev() {
            tx.execute_batch(&format!("DROP TABLE v1_{table}"))?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO billing_view (partner_id, cards, built_at)
             SELECT ?1, c.value, b.value FROM meta c JOIN meta b ON b.key = 'billing_built_at'
             WHERE c.key = 'billing_cards' AND ?1 <> ''",
            [&partner],
        )?;
        tx.execute(
            "DELETE FROM meta WHERE key IN ('billing_cards', 'billing_built_at')",
            [],
        )?;
        // The indexes of the rebuilt tables went with the old ones.
        tx.execute_batch(schema)?;
        tx.commit()
    })();
    conn.pragma_update(None, "legacy_alter_table", "OFF")?;
    out
}

/// Every upgrade, oldest first, for a file about to be opened with `schema` (this build's DDL).
/// Foreign keys must be off: the first rebuilds tables that reference each other.
pub fn upgrade(conn: &Connection, schema: &str) -> rusqlite::Result<()> {
    migrate_to_partners(conn, schema)?;
    drop_unread_columns(conn)
}

/// Columns schema 2 wrote and nothing read, dropped by schema 3: each QA fact's tally of
/// events (the checklist reads the first event and the items brought), the time of a cycle's
/// last count that asked for a rebuild, and the integration row's own last sync (`lastSyncedAt`
/// comes from the count summary since counts stopped writing the row). Production's console
/// and API show none of them.
pub const UNREAD_COLUMNS: [(&str, &str); 3] = [
    ("qa_fact", "events"),
    ("count_summary", "last_built_at"),
    ("integration", "last_synced_at"),
];

/// Schema 2 to 3, in one transaction: drops each of `UNREAD_COLUMNS` that the file still has,
/// with SQLite's DROP COLUMN (none of them is indexed, keyed or referenced). Every other value
/// stays as it was.
pub fn drop_unread_columns(conn: &Connection) -> rusqlite::Result<()> {
    let mut stale = vec![];
    for (table, column) in UNREAD_COLUMNS {
        if columns_of(conn, table)?.iter().any(|c| c == column) {
            stale.push((table, column));
        }
    }
    if stale.is_empty() {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    for (table, column) in stale {
        tx.execute_batch(&format!("ALTER TABLE {table} DROP COLUMN {column}"))?;
    }
    tx.commit()
}
