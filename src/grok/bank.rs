//! Grok pattern banks: the built-in `legacy` and `ecs-v1` banks, and a bank extended with a
//! processor's `pattern_definitions` (Elasticsearch's GrokBuiltinPatterns and PatternBank).

use indexmap::{IndexMap, IndexSet};
use std::collections::HashSet;
use std::sync::OnceLock;

/// A named set of grok patterns, in the order Elasticsearch loads them.
#[derive(Debug, Default)]
pub struct PatternBank {
    patterns: IndexMap<String, String>,
}

/// The files of each bank, in Elasticsearch's load order (later definitions win).
const LEGACY_FILES: &[&str] = &[
    include_str!("../../data/grok/legacy/aws"),
    include_str!("../../data/grok/legacy/bacula"),
    include_str!("../../data/grok/legacy/bind"),
    include_str!("../../data/grok/legacy/bro"),
    include_str!("../../data/grok/legacy/exim"),
    include_str!("../../data/grok/legacy/firewalls"),
    include_str!("../../data/grok/legacy/grok-patterns"),
    include_str!("../../data/grok/legacy/haproxy"),
    include_str!("../../data/grok/legacy/httpd"),
    include_str!("../../data/grok/legacy/java"),
    include_str!("../../data/grok/legacy/junos"),
    include_str!("../../data/grok/legacy/linux-syslog"),
    include_str!("../../data/grok/legacy/maven"),
    include_str!("../../data/grok/legacy/mcollective-patterns"),
    include_str!("../../data/grok/legacy/mongodb"),
    include_str!("../../data/grok/legacy/nagios"),
    include_str!("../../data/grok/legacy/postgresql"),
    include_str!("../../data/grok/legacy/rails"),
    include_str!("../../data/grok/legacy/redis"),
    include_str!("../../data/grok/legacy/ruby"),
    include_str!("../../data/grok/legacy/squid"),
];

const ECS_V1_FILES: &[&str] = &[
    include_str!("../../data/grok/ecs-v1/aws"),
    include_str!("../../data/grok/ecs-v1/bacula"),
    include_str!("../../data/grok/ecs-v1/bind"),
    include_str!("../../data/grok/ecs-v1/bro"),
    include_str!("../../data/grok/ecs-v1/exim"),
    include_str!("../../data/grok/ecs-v1/firewalls"),
    include_str!("../../data/grok/ecs-v1/grok-patterns"),
    include_str!("../../data/grok/ecs-v1/haproxy"),
    include_str!("../../data/grok/ecs-v1/httpd"),
    include_str!("../../data/grok/ecs-v1/java"),
    include_str!("../../data/grok/ecs-v1/junos"),
    include_str!("../../data/grok/ecs-v1/linux-syslog"),
    include_str!("../../data/grok/ecs-v1/maven"),
    include_str!("../../data/grok/ecs-v1/mcollective"),
    include_str!("../../data/grok/ecs-v1/mongodb"),
    include_str!("../../data/grok/ecs-v1/nagios"),
    include_str!("../../data/grok/ecs-v1/postgresql"),
    include_str!("../../data/grok/ecs-v1/rails"),
    include_str!("../../data/grok/ecs-v1/redis"),
    include_str!("../../data/grok/ecs-v1/ruby"),
    include_str!("../../data/grok/ecs-v1/squid"),
    include_str!("../../data/grok/ecs-v1/zeek"),
];

impl PatternBank {
    /// Parses pattern files: `NAME definition` per line, `#` comments and blank lines skipped.
    pub fn parse(files: &[&str]) -> PatternBank {
        let mut patterns = IndexMap::new();
        for file in files {
            for line in file.lines() {
                // Java: line.replaceAll("^\\s+", "") then split("\\s+", 2).
                let line = line.trim_start_matches(is_java_space);
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let Some(cut) = line.find(is_java_space) else {
                    continue;
                };
                let (name, def) = line.split_at(cut);
                let def = def.trim_start_matches(is_java_space);
                patterns.insert(name.to_string(), def.to_string());
            }
        }
        PatternBank { patterns }
    }

    /// The built-in bank for an `ecs_compatibility` mode: `v1` → ecs-v1, otherwise legacy.
    pub fn builtin(ecs_v1: bool) -> &'static PatternBank {
        static LEGACY: OnceLock<PatternBank> = OnceLock::new();
        static ECS_V1: OnceLock<PatternBank> = OnceLock::new();
        if ecs_v1 {
            ECS_V1.get_or_init(|| PatternBank::parse(ECS_V1_FILES))
        } else {
            LEGACY.get_or_init(|| PatternBank::parse(LEGACY_FILES))
        }
    }

    /// The definition of a pattern name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.patterns.get(name).map(String::as_str)
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True when the bank holds no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Pattern names and definitions, in load order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.patterns.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Java's `\s`: space, tab, newline, vertical tab, form feed, carriage return.
fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// A built-in bank extended with a processor's own definitions (which override built-ins).
#[derive(Debug)]
pub struct Patterns {
    base: &'static PatternBank,
    custom: IndexMap<String, String>,
}

impl Patterns {
    /// Extends `base` with `custom`; like Elasticsearch's `PatternBank.extendWith`, the
    /// combined bank is checked for circular and dangling references when `custom` is not empty.
    pub fn new(
        base: &'static PatternBank,
        custom: IndexMap<String, String>,
    ) -> Result<Self, String> {
        let p = Patterns { base, custom };
        if !p.custom.is_empty() {
            p.forbid_circular_references()?;
        }
        Ok(p)
    }

    /// The definition of a pattern name, custom ones first.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.custom
            .get(name)
            .map(String::as_str)
            .or_else(|| self.base.get(name))
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.base.patterns.keys().map(String::as_str).chain(
            self.custom
                .keys()
                .filter(|k| !self.base.patterns.contains_key(*k))
                .map(String::as_str),
        )
    }

    /// Elasticsearch's `PatternBank.forbidCircularReferences`.
    fn forbid_circular_references(&self) -> Result<(), String> {
        let mut all_visited: HashSet<String> = HashSet::new();
        let mut seen_twice: HashSet<String> = HashSet::new();
        for start in self.names() {
            if !seen_twice.contains(start) && all_visited.contains(start) {
                continue;
            }
            let mut visited: IndexSet<String> = IndexSet::new();
            let mut path: Vec<String> = Vec::new();
            self.visit(start, start, &mut path, &mut visited, &mut seen_twice)?;
            all_visited.extend(visited);
        }
        Ok(())
    }

    fn visit(
        &self,
        node: &str,
        start: &str,
        path: &mut Vec<String>,
        visited: &mut IndexSet<String>,
        seen_twice: &mut HashSet<String>,
    ) -> Result<(), String> {
        if node == start && !path.is_empty() {
            return Err(format!(
                "circular reference detected: {}->{start}",
                path.join("->")
            ));
        }
        if visited.contains(node) {
            seen_twice.insert(node.to_string());
            return Ok(());
        }
        visited.insert(node.to_string());
        let refs = self.references(node)?;
        path.push(node.to_string());
        for r in &refs {
            self.visit(r, start, path, visited, seen_twice)?;
        }
        path.pop();
        Ok(())
    }

    /// The pattern names a pattern refers to (`%{NAME}` / `%{NAME:…}`), each once.
    fn references(&self, name: &str) -> Result<Vec<String>, String> {
        let pattern = self.get(name).unwrap_or("");
        let mut out: Vec<String> = Vec::new();
        let mut from = 0;
        // Cuts sit right after the ASCII `%` / `%{` `find` located, or at offsets `find` returned.
        while let Some(off) = pattern[from..].find("%{") {
            let begin = from + off + 2;
            let rest = &pattern[begin..];
            let end = match (rest.find('}'), rest.find(':')) {
                (Some(b), Some(c)) => b.min(c),
                (Some(b), None) => b,
                (None, Some(c)) => c,
                (None, None) => return Err(format!("pattern [{pattern}] has an invalid syntax")),
            };
            let other = &rest[..end];
            if !out.iter().any(|o| o == other) {
                if self.get(other).is_none() {
                    return Err(format!(
                        "pattern [{name}] is referencing a non-existent pattern [{other}]"
                    ));
                }
                out.push(other.to_string());
            }
            from = from + off + 1;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn builtin_banks_load() {
        let legacy = PatternBank::builtin(false);
        // GET _ingest/processor/grok lists 318 legacy patterns (120_grok.yml).
        assert_eq!(legacy.len(), 318);
        assert_eq!(legacy.get("PATH"), Some("(?:%{UNIXPATH}|%{WINPATH})"));
        let ecs = PatternBank::builtin(true);
        assert!(
            ecs.get("SYSLOGBASE2")
                .is_some_and(|p| p.contains("host.hostname"))
        );
    }

    #[test]
    fn circular_and_dangling_references() {
        let base = PatternBank::builtin(false);
        let e = Patterns::new(base, custom(&[("A", "%{B}"), ("B", "x%{A:y}")])).unwrap_err();
        assert_eq!(e, "circular reference detected: A->B->A");
        let e = Patterns::new(base, custom(&[("A", "%{A}")])).unwrap_err();
        assert_eq!(e, "circular reference detected: A->A");
        let e = Patterns::new(base, custom(&[("A", "%{NOPE}")])).unwrap_err();
        assert_eq!(
            e,
            "pattern [A] is referencing a non-existent pattern [NOPE]"
        );
        let e = Patterns::new(base, custom(&[("A", "%{NOPE")])).unwrap_err();
        assert_eq!(e, "pattern [%{NOPE] has an invalid syntax");
        let p = Patterns::new(base, custom(&[("NUMBER", "foo")])).unwrap();
        assert_eq!(p.get("NUMBER"), Some("foo"));
        assert_eq!(p.get("WORD"), Some(r"\b\w+\b"));
    }
}
