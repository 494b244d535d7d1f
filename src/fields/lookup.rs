//! Flattened definitions and the name lookup elastic-package's `FindElementDefinition` performs:
//! first definition in depth-first order (children, then multi-fields) whose name matches, where
//! `*` matches one non-empty dot-free segment part and `.lat`/`.lon` (geo_point), `.values`/`.counts`
//! (histogram) are sub-fields; if none, the child of an `object` with an `object_type`.

use super::model::{AllowedValue, Def};
use std::collections::HashMap;

/// One definition with its full dotted name, in depth-first order.
#[derive(Debug)]
pub(crate) struct Node {
    /// Full dotted name (may contain `*`).
    pub full: String,
    pub ty: String,
    pub object_type: String,
    pub value: String,
    pub allowed_values: Vec<AllowedValue>,
    pub expected_values: Vec<String>,
    pub pattern: String,
    /// The compiled `pattern` (Go's regexp is RE2, as is the regex crate), or its error.
    pub regex: Option<Result<regex::Regex, String>>,
    pub external: String,
    pub enabled: Option<bool>,
    pub normalize_array: bool,
    pub normalize: Vec<String>,
    /// Multi-field definitions (copied when a package field imports this one).
    pub multi_fields: Vec<Def>,
    /// A leaf for coverage: not a group, no children, not a multi-field.
    pub leaf: bool,
}

/// The flattened definitions of one schema part, with an index by exact name.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub nodes: Vec<Node>,
    exact: HashMap<String, Vec<usize>>,
    wildcards: Vec<usize>,
    /// The most dots in any node's name: a longer key can match no node (see [`Lookup::find`]).
    max_dots: usize,
}

const SUB_FIELDS: [&str; 4] = [".lat", ".lon", ".values", ".counts"];

/// elastic-package's `validSubField`.
fn valid_sub_field(node: &Node, extra: &str) -> bool {
    let ty = if node.ty == "object" && !node.object_type.is_empty() {
        node.object_type.as_str()
    } else {
        node.ty.as_str()
    };
    match ty {
        "geo_point" => extra == ".lat" || extra == ".lon",
        "histogram" => extra == ".values" || extra == ".counts",
        _ => !node.external.is_empty() && SUB_FIELDS.contains(&extra),
    }
}

/// elastic-package's `compareKeys`: does `searched` match the definition name `key`?
fn compare_keys(key: &str, node: &Node, searched: &str) -> bool {
    let s = searched.as_bytes();
    let mut j = 0usize;
    for &k in key.as_bytes() {
        if j >= s.len() {
            return false;
        }
        // j < s.len(): checked just above.
        if k == s[j] {
            j += 1;
        } else if k == b'*' {
            match s[j..].iter().position(|&b| b == b'.') {
                Some(0) => return false,
                Some(idx) => j += idx,
                None => j = s.len(),
            }
        } else {
            return false;
        }
    }
    if j == s.len() {
        return true;
    }
    searched
        .get(j..)
        .is_some_and(|extra| valid_sub_field(node, extra))
}

impl Table {
    /// Flattens definitions in elastic-package's search order.
    pub(crate) fn build(defs: &[Def]) -> Table {
        let mut t = Table::default();
        t.add_all(defs, "", false);
        t
    }

    fn add_all(&mut self, defs: &[Def], root: &str, multi: bool) {
        for d in defs {
            let full = format!("{root}.{}", d.name)
                .trim_start_matches('.')
                .to_string();
            let leaf = !multi && d.ty != "group" && d.fields.is_empty();
            let regex = (!d.pattern.is_empty())
                .then(|| regex::Regex::new(&d.pattern).map_err(|e| e.to_string()));
            let idx = self.nodes.len();
            self.max_dots = self.max_dots.max(full.matches('.').count());
            if full.contains('*') {
                self.wildcards.push(idx);
            } else {
                self.exact.entry(full.clone()).or_default().push(idx);
            }
            self.nodes.push(Node {
                full: full.clone(),
                ty: d.ty.clone(),
                object_type: d.object_type.clone(),
                value: d.value.clone(),
                allowed_values: d.allowed_values.clone(),
                expected_values: d.expected_values.clone(),
                pattern: d.pattern.clone(),
                regex,
                external: d.external.clone(),
                enabled: d.enabled,
                normalize_array: d.normalize.iter().any(|n| n == "array"),
                normalize: d.normalize.clone(),
                multi_fields: d.multi_fields.clone(),
                leaf,
            });
            self.add_all(&d.fields, &full, multi);
            self.add_all(&d.multi_fields, &full, true);
        }
    }

    /// False when `key` has more than `slack` dots beyond the longest name, so that no node can
    /// match it: `*` never spans a dot and a sub-field (`.lat`) adds one. Deeply nested keys
    /// then cost a few segments, not their whole length.
    fn may_match(&self, key: &str, slack: usize) -> bool {
        key.bytes()
            .filter(|&b| b == b'.')
            .nth(self.max_dots + slack)
            .is_none()
    }

    /// The first node (in search order) whose name matches `key`, without the object_type fallback.
    pub(crate) fn find_direct(&self, key: &str) -> Option<usize> {
        if !self.may_match(key, 1) {
            return None;
        }
        let mut best: Option<usize> = self.exact.get(key).and_then(|ids| ids.first().copied());
        for suffix in SUB_FIELDS {
            let Some(prefix) = key.strip_suffix(suffix) else {
                continue;
            };
            // Ids in `exact` and `wildcards` index `nodes`: each was recorded as its node was pushed.
            if let Some(ids) = self.exact.get(prefix)
                && let Some(&id) = ids
                    .iter()
                    .find(|&&id| valid_sub_field(&self.nodes[id], suffix))
            {
                best = Some(best.map_or(id, |b| b.min(id)));
            }
        }
        // Wildcard nodes are in search order: the first match is the earliest (ids index `nodes`).
        if let Some(&id) = self
            .wildcards
            .iter()
            .take_while(|&&id| best.is_none_or(|b| id < b))
            .find(|&&id| compare_keys(&self.nodes[id].full, &self.nodes[id], key))
        {
            best = Some(id);
        }
        best
    }
}

/// A definition found for a name: the node, and the type it gives the name (an `object`'s
/// `object_type` for its dynamic children).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'a> {
    pub node: &'a Node,
    pub ty: &'a str,
    pub object_type: &'a str,
}

/// Package definitions first, then the imported ECS schema (if any).
#[derive(Debug, Default)]
pub(crate) struct Lookup {
    pub local: Table,
    pub ecs: Option<std::sync::Arc<Table>>,
}

impl Lookup {
    /// elastic-package's `FindElementDefinition`; `object_children` enables the fallback to the
    /// `object_type` of an `object` parent (elastic-package ≥ 0.101, PR #2054).
    pub(crate) fn find(&self, key: &str, object_children: bool) -> Option<Found<'_>> {
        // The object_type fallback needs the parent to match directly: one dot more.
        if !self.local.may_match(key, 2) && self.ecs.as_ref().is_none_or(|t| !t.may_match(key, 2)) {
            return None;
        }
        // find_direct returns ids of the table's own nodes.
        if let Some(id) = self.local.find_direct(key) {
            return Some(Self::found(&self.local.nodes[id]));
        }
        if let Some(ecs) = &self.ecs
            && let Some(id) = ecs.find_direct(key)
        {
            // As above.
            return Some(Self::found(&ecs.nodes[id]));
        }
        if !object_children {
            return None;
        }
        let (parent, _) = key.rsplit_once('.')?;
        let p = self.find(parent, true)?;
        (p.ty == "object" && !p.object_type.is_empty()).then_some(Found {
            node: p.node,
            ty: p.object_type,
            object_type: "",
        })
    }

    fn found(node: &Node) -> Found<'_> {
        Found {
            node,
            ty: &node.ty,
            object_type: &node.object_type,
        }
    }

    /// The definition of the parent name (`findParentElementDefinition`).
    pub(crate) fn find_parent(&self, key: &str, object_children: bool) -> Option<Found<'_>> {
        let (parent, _) = key.rsplit_once('.')?;
        self.find(parent, object_children)
    }

    /// The nearest ancestor definition satisfying `cond` (`findAncestorElementDefinition`).
    pub(crate) fn find_ancestor<'a>(
        &'a self,
        key: &'a str,
        object_children: bool,
        mut cond: impl FnMut(&str, &Found<'a>) -> bool,
    ) -> Option<Found<'a>> {
        let mut k = key;
        while let Some((parent, _)) = k.rsplit_once('.') {
            k = parent;
            if let Some(f) = self.find(k, object_children)
                && cond(k, &f)
            {
                return Some(f);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::model::parse_fields_file;

    fn table(yaml: &str) -> Table {
        let raw = parse_fields_file(yaml).unwrap();
        let defs: Vec<Def> = raw.iter().map(Def::from_raw).collect();
        Table::build(&defs)
    }

    #[test]
    fn finds_like_elastic_package() {
        let t = Lookup {
            local: table(
                "- name: a\n  type: group\n  fields:\n    - name: b\n      type: keyword\n      multi_fields:\n        - name: text\n          type: text\n    - name: '*.x'\n      type: long\n    - name: loc\n      type: geo_point\n- name: labels\n  type: object\n  object_type: keyword\n- name: a.b\n  type: long\n",
            ),
            ecs: None,
        };
        let ty = |k: &str| {
            t.find(k, true)
                .map(|f| (f.node.full.clone(), f.ty.to_string()))
        };
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(ty("a.b"), pair("a.b", "keyword"));
        assert_eq!(ty("a.b.text"), pair("a.b.text", "text"));
        assert_eq!(ty("a.foo.x"), pair("a.*.x", "long"));
        assert_eq!(ty("a..x"), None);
        assert_eq!(ty("a.foo.bar.x"), None);
        assert_eq!(ty("a.loc.lat"), pair("a.loc", "geo_point"));
        assert_eq!(ty("a.loc.values"), None);
        assert_eq!(ty("labels.env"), pair("labels", "keyword"));
        assert_eq!(ty("labels.env.x"), None);
        assert_eq!(ty("a"), pair("a", "group"));
        assert!(t.find("labels.env", false).is_none());
        // The deepest match the dot bound allows: a sub-field of an object_type parent's sub-field.
        let o = Lookup {
            local: table("- name: o\n  type: object\n  object_type: geo_point\n"),
            ecs: None,
        };
        let found = o
            .find("o.lat.x", true)
            .map(|f| (f.node.full.as_str(), f.ty));
        assert_eq!(found, Some(("o", "geo_point")));
        assert!(o.find("o.lat.x.y", true).is_none());
    }
}
