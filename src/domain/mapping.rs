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

/// Whether `text` holds `needle` (already lower case) whatever the case: the mapping step's
/// search, as the console's toLowerCase compares. ASCII text is compared without a copy; the
/// rest is lower-cased first (Unicode).
pub fn contains_folded(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if text.is_ascii() && needle.is_ascii() {
        let (t, n) = (text.as_bytes(), needle.as_bytes());
        return t.len() >= n.len() && t.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    text.to_lowercase().contains(needle)
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_ignores_case_in_ascii_and_beyond() {
        use super::contains_folded;
        assert!(contains_folded("Cedar Ridge Law, LLP", "ridge law"));
        assert!(contains_folded("ÉCOLE Saint-Jean", "école"));
        assert!(contains_folded("anything", ""));
        assert!(!contains_folded("Acme", "acme corp"));
        assert!(!contains_folded("Straße", "strasse"));
    }

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
