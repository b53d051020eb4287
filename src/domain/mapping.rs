//! Mapping rules: Synthesize auto-maps only on exact, character-for-character name equality.

/// Pairs each unmapped item with the first candidate whose name is exactly its name.
pub fn exact_name_matches<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
    candidates: &[(String, String)],
) -> Vec<(String, String)> {
    items
        .into_iter()
        .filter_map(|(id, name)| {
            candidates
                .iter()
                .find(|(_, cname)| cname == name)
                .map(|(cid, _)| (id.to_string(), cid.clone()))
        })
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
