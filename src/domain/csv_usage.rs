//! CSV usage import, the billing page's other usage source: Gradient's file import reads a
//! header row and one row per (account, service) with a quantity. The columns follow the
//! simulator's documented template (Gradient does not publish a fixed one):
//! `Account Name,Account ID,Product Name,SKU,Quantity,Unit Cost`. Every row is checked and every
//! problem is reported with its row number; one bad row refuses the whole file, as production's
//! import fails as a whole.

use std::collections::BTreeMap;

pub const TEMPLATE_HEADER: &str = "Account Name,Account ID,Product Name,SKU,Quantity,Unit Cost";
/// Production's file import limit.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Problems listed in one answer; a file with more says how many more there are.
pub const MAX_PROBLEMS: usize = 100;

/// A PSA company the file may name: by exact name, by its PSA number (ConnectWise RecId,
/// Autotask account id) or by its id here. `visible` is false for companies the billing page
/// never shows (prospects, no active contract).
#[derive(Debug, Clone)]
pub struct Company {
    pub id: String,
    pub psa_ref: Option<i64>,
    pub name: String,
    pub visible: bool,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// One (account, product) of an accepted file, rows with the same pair summed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedUsage {
    pub company_id: String,
    pub company_name: String,
    pub product_id: String,
    pub product_code: String,
    pub quantity: f64,
    pub unit_cost: Option<f64>,
    /// The file's row numbers (the header is row 1) that made this pair.
    pub rows: Vec<usize>,
}

#[derive(Clone, Copy)]
enum Col {
    AccountName,
    AccountId,
    ProductName,
    Sku,
    Quantity,
    UnitCost,
}

fn column(header: &str) -> Option<Col> {
    match header.trim().to_ascii_lowercase().as_str() {
        "account name" => Some(Col::AccountName),
        "account id" => Some(Col::AccountId),
        "product name" => Some(Col::ProductName),
        "sku" => Some(Col::Sku),
        "quantity" => Some(Col::Quantity),
        "unit cost" => Some(Col::UnitCost),
        _ => None,
    }
}

/// Reads and checks a whole file. `aggregate` sums rows of the same account and product (the
/// import profile's option); without it such rows are an error. Answers the usage, or every
/// problem found.
pub fn parse(
    text: &str,
    companies: &[Company],
    products: &[Product],
    aggregate: bool,
) -> Result<Vec<ImportedUsage>, Vec<String>> {
    if text.len() > MAX_BYTES {
        return Err(vec!["the file is larger than 5 MB, the import's limit".into()]);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text); // spreadsheets' byte-order mark
    let blank_lines = blank_rows(text);
    let mut errors: Vec<String> = blank_lines.iter().map(|r| blank(*r)).collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(vec![format!("row 1: {e}")]),
        None => {
            return Err(vec![format!(
                "the file is empty: the first row must be the header ({TEMPLATE_HEADER})"
            )])
        }
    };
    let cols: Vec<Option<Col>> = header.iter().map(column).collect();
    let has = |want: fn(&Col) -> bool| cols.iter().flatten().any(want);
    if !has(|c| matches!(c, Col::Quantity))
        || !has(|c| matches!(c, Col::AccountName | Col::AccountId))
        || !has(|c| matches!(c, Col::Sku | Col::ProductName))
    {
        return Err(vec![format!(
            "row 1 must be the header, naming Quantity, Account Name or Account ID, and SKU or Product Name (template: {TEMPLATE_HEADER})"
        )]);
    }

    let mut out: BTreeMap<(String, String), ImportedUsage> = BTreeMap::new();
    let mut data_rows = 0;
    let (mut line, mut counted_to) = (1, 0);
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{e}"));
                continue;
            }
        };
        // The row number a spreadsheet shows: lines up to where the record starts, counted on
        // from the previous record so that a big file is read once. (The reader's position can
        // sit before the line ends it skipped, so skip them here too.)
        let mut start = record
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(0)
            .min(text.len());
        while start < text.len() && matches!(text.as_bytes()[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > counted_to {
            line += text.as_bytes()[counted_to..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            counted_to = start;
        }
        let row = line;
        if record.iter().all(str::is_empty) {
            if !blank_lines.contains(&row) {
                errors.push(blank(row));
            }
            continue;
        }
        data_rows += 1;
        let field = |want: fn(&Col) -> bool| -> &str {
            cols.iter()
                .position(|c| c.as_ref().is_some_and(want))
                .and_then(|i| record.get(i))
                .unwrap_or("")
        };
        let account_name = field(|c| matches!(c, Col::AccountName)).to_string();
        let account_id = field(|c| matches!(c, Col::AccountId)).to_string();
        let product_name = field(|c| matches!(c, Col::ProductName)).to_string();
        let sku = field(|c| matches!(c, Col::Sku)).to_string();
        let quantity = field(|c| matches!(c, Col::Quantity)).to_string();
        let unit_cost = field(|c| matches!(c, Col::UnitCost)).to_string();
        let mut row_errors = vec![];

        let company = match find_company(companies, &account_id, &account_name) {
            Ok(c) => Some(c),
            Err(e) => {
                row_errors.push(e);
                None
            }
        };
        let product = if !sku.is_empty() {
            products.iter().find(|p| p.code == sku).or_else(|| {
                row_errors.push(format!("no PSA product with SKU {sku:?}"));
                None
            })
        } else if !product_name.is_empty() {
            products.iter().find(|p| p.name == product_name).or_else(|| {
                row_errors.push(format!("no PSA product named {product_name:?} (names match exactly)"));
                None
            })
        } else {
            row_errors.push("SKU or Product Name is empty".into());
            None
        };
        let qty = number(&quantity, "Quantity", true)
            .map_err(|e| row_errors.push(e))
            .ok()
            .flatten();
        let cost = number(&unit_cost, "Unit Cost", false)
            .map_err(|e| row_errors.push(e))
            .ok()
            .flatten();
        if !row_errors.is_empty() {
            errors.extend(row_errors.into_iter().map(|e| format!("row {row}: {e}")));
            continue;
        }
        let (Some(company), Some(product), Some(qty)) = (company, product, qty) else {
            continue;
        };
        let key = (company.id.clone(), product.id.clone());
        match out.get_mut(&key) {
            Some(existing) if aggregate => {
                existing.quantity += qty;
                existing.rows.push(row);
            }
            Some(existing) => errors.push(format!(
                "row {row}: {} and {} were already on row {}; turn on aggregate to sum them",
                company.name, product.code, existing.rows[0]
            )),
            None => {
                out.insert(
                    key,
                    ImportedUsage {
                        company_id: company.id.clone(),
                        company_name: company.name.clone(),
                        product_id: product.id.clone(),
                        product_code: product.code.clone(),
                        quantity: qty,
                        unit_cost: cost,
                        rows: vec![row],
                    },
                );
            }
        }
    }
    if data_rows == 0 && errors.is_empty() {
        errors.push("the file has a header but no rows".into());
    }
    if errors.is_empty() {
        return Ok(out.into_values().collect());
    }
    // In row order (blank lines were found first), and not endless for a wholly wrong file.
    errors.sort_by_key(|e| row_of(e));
    if errors.len() > MAX_PROBLEMS {
        let more = errors.len() - MAX_PROBLEMS;
        errors.truncate(MAX_PROBLEMS);
        errors.push(format!("... and {more} more problem(s)"));
    }
    Err(errors)
}

/// The row number a message starts with ("row 12: ..." or "row 12 is blank"), for sorting.
fn row_of(message: &str) -> usize {
    message
        .strip_prefix("row ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn blank(row: usize) -> String {
    format!("row {row} is blank: the import fails on blank rows, delete it")
}

/// Empty lines between rows, which the CSV reader would skip silently (trailing ones at the end
/// of the file are not rows). A line inside a quoted field is not a row.
fn blank_rows(text: &str) -> std::collections::BTreeSet<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.iter().rposition(|l| !l.trim().is_empty()).unwrap_or(0);
    let mut in_quotes = false;
    let mut out = std::collections::BTreeSet::new();
    for (i, line) in lines.iter().enumerate().take(last) {
        if !in_quotes && line.trim().is_empty() && i > 0 {
            out.insert(i + 1);
        }
        if line.matches('"').count() % 2 == 1 {
            in_quotes = !in_quotes;
        }
    }
    out
}

fn find_company<'a>(companies: &'a [Company], id: &str, name: &str) -> Result<&'a Company, String> {
    let found = if !id.is_empty() {
        companies
            .iter()
            .find(|c| c.id == id || c.psa_ref.is_some_and(|r| r.to_string() == id))
            .ok_or_else(|| format!("no PSA account with Account ID {id:?}"))?
    } else if !name.is_empty() {
        companies
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| format!("no PSA account named {name:?} (names match exactly)"))?
    } else {
        return Err("Account Name or Account ID is empty".into());
    };
    if !found.visible {
        return Err(format!(
            "{:?} is not on the billing page (a prospect, or no active contract)",
            found.name
        ));
    }
    Ok(found)
}

/// A quantity or cost as spreadsheets write it: a dot for decimals, no thousands separators.
fn number(s: &str, what: &str, required: bool) -> Result<Option<f64>, String> {
    if s.is_empty() {
        return if required {
            Err(format!("{what} is empty"))
        } else {
            Ok(None)
        };
    }
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
        Ok(_) => Err(format!("{what} {s:?} must be a number of 0 or more")),
        Err(_) if s.contains(',') => Err(format!(
            "{what} {s:?} is not a number: use a dot for decimals and no thousands separators"
        )),
        Err(_) => Err(format!("{what} {s:?} is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn psa() -> (Vec<Company>, Vec<Product>) {
        let co = |id: &str, r, name: &str, visible| Company {
            id: id.into(),
            psa_ref: Some(r),
            name: name.into(),
            visible,
        };
        let pr = |id: &str, code: &str, name: &str| Product {
            id: id.into(),
            code: code.into(),
            name: name.into(),
        };
        (
            vec![
                co("c1", 19301, "Acme Corp", true),
                co("c2", 19311, "Kestrel Ventures", false),
            ],
            vec![
                pr("p1", "BKP-GB", "Cloud Backup Storage - Per GB"),
                pr("p2", "SEC-EDR", "Managed EDR"),
            ],
        )
    }

    #[test]
    fn a_good_file_sums_rows_of_the_same_pair() {
        let (c, p) = psa();
        let text = "\u{feff}Account Name,Account ID,Product Name,SKU,Quantity,Unit Cost\r\n\
                    Acme Corp,,,BKP-GB,100.25,0.03\r\n,19301,Managed EDR,,45,\r\nAcme Corp,,,BKP-GB,12.5,\r\n\r\n";
        let got = parse(text, &c, &p, true).unwrap();
        assert_eq!(got.len(), 2);
        let gb = got.iter().find(|u| u.product_code == "BKP-GB").unwrap();
        assert_eq!(gb.quantity, 112.75);
        assert_eq!(gb.rows, vec![2, 4]);
        assert_eq!(gb.unit_cost, Some(0.03));
        assert!(
            parse(text, &c, &p, false).unwrap_err()[0].contains("row 4: Acme Corp and BKP-GB were already on row 2")
        );
    }

    #[test]
    fn every_bad_row_is_named() {
        let (c, p) = psa();
        let text = "Account Name,SKU,Quantity\nAcme Corp,BKP-GB,1\n\nNobody Inc,BKP-GB,2\nKestrel Ventures,SEC-EDR,3\n\
                    Acme Corp,NOPE,4\nAcme Corp,SEC-EDR,\"1,5\"\nAcme Corp,SEC-EDR,-1\n,,\n";
        let errors = parse(text, &c, &p, true).unwrap_err();
        assert_eq!(
            errors,
            vec![
                "row 3 is blank: the import fails on blank rows, delete it",
                "row 4: no PSA account named \"Nobody Inc\" (names match exactly)",
                "row 5: \"Kestrel Ventures\" is not on the billing page (a prospect, or no active contract)",
                "row 6: no PSA product with SKU \"NOPE\"",
                "row 7: Quantity \"1,5\" is not a number: use a dot for decimals and no thousands separators",
                "row 8: Quantity \"-1\" must be a number of 0 or more",
                "row 9 is blank: the import fails on blank rows, delete it",
            ]
        );
        assert!(parse("Name,Count\nAcme,1\n", &c, &p, true).unwrap_err()[0].starts_with("row 1 must be the header"));
        assert!(parse("", &c, &p, true).unwrap_err()[0].starts_with("the file is empty"));
        assert_eq!(
            parse("Account Name,SKU,Quantity\n", &c, &p, true).unwrap_err(),
            vec!["the file has a header but no rows"]
        );
        // A wholly wrong file: the first problems, and how many more.
        let many = format!("Account Name,SKU,Quantity\n{}", "Nobody,SEC-EDR,1\n".repeat(150));
        let errors = parse(&many, &c, &p, true).unwrap_err();
        assert_eq!(errors.len(), MAX_PROBLEMS + 1);
        assert!(errors[0].starts_with("row 2: "), "{}", errors[0]);
        assert_eq!(errors[MAX_PROBLEMS], "... and 50 more problem(s)");
    }
}
