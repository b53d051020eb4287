//! Mapping rules: Synthesize auto-maps only on exact, character-for-character name equality.

/// Pairs each unmapped item with the first candidate whose name is exactly its name. Indexed
/// by name, so 10,000 accounts against 1,000 companies is 10,000 lookups, not 10 million compares.
pub fn exact_name_matches<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
    candidates: &[(String, String)],
) -> Vec<(String, String)> {
    let mut by_name = std::collections::HashMap::with_capacity(candidates.len());
    for (cid, cname) in candidates {
        by_name.entry(cname.as_str()).or_insert(cid);
    }
    items
        .into_iter()
        .filter_map(|(id, name)| by_name.get(name).map(|cid| (id.to_string(), (*cid).clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_names_match() {
        let psa = vec![
            ("p1".to_string(), "Acme Corp".to_string()),
            ("p2".to_string(), "Cedar Ridge Law, LLP".to_string()),
        ];
        let vendor = [
            ("a", "Acme Corp"),
            ("b", "Cedar Ridge Law LLP"),
            ("c", "acme corp"),
            ("d", "Acme Corp "),
        ];
        assert_eq!(
            exact_name_matches(vendor, &psa),
            vec![("a".to_string(), "p1".to_string())]
        );
    }
}
