//! The ingest document: source and metadata in one `ctx` map, plus `_ingest` metadata.

mod flexible;
mod path;

pub use path::{AccessPattern, FieldPath, PathRoot};

use crate::error::IngestError;
use crate::value::{Map, Value};
use indexmap::map::raw_entry_v1::{RawEntryApiV1, RawEntryMut};

/// Metadata keys that live beside the source in `ctx` and are not part of `_source`.
pub const METADATA_KEYS: &[&str] = &[
    "_index",
    "_id",
    "_routing",
    "_version",
    "_version_type",
    "_if_seq_no",
    "_if_primary_term",
    "_dynamic_templates",
];

/// True when `key` is one of the document's metadata fields.
pub fn is_metadata_key(key: &str) -> bool {
    key.starts_with('_') && METADATA_KEYS.contains(&key)
}

/// A document going through ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestDocument {
    /// Source fields and metadata (`_index`, `_id`, …), as a script's `ctx` sees them.
    pub ctx: Map,
    /// `_ingest` metadata: `timestamp`, `on_failure_*`, `_value`, `pipeline`.
    pub ingest: Map,
    /// Set by the terminate processor; stops the current pipeline.
    pub terminated: bool,
    /// Set by the reroute processor; stops the current pipeline and every pipeline calling it.
    pub rerouted: bool,
    /// How field paths resolve: the running pipeline's `field_access_pattern`.
    access: AccessPattern,
}

impl IngestDocument {
    /// A document from its source, with `_index` and `_id` set as `_simulate` sets them by default.
    pub fn new(source: Map, timestamp: &str) -> Self {
        // Room for the three metadata entries and the source: the map never regrows here.
        let mut ctx = Map::with_capacity_and_hasher(source.len() + 3, Default::default());
        ctx.insert("_index".into(), Value::from("_index"));
        ctx.insert("_id".into(), Value::from("_id"));
        ctx.insert("_version".into(), Value::Long(-3));
        ctx.extend(source);
        let mut ingest = Map::default();
        ingest.insert("timestamp".into(), Value::from(timestamp));
        IngestDocument {
            ctx,
            ingest,
            terminated: false,
            rerouted: false,
            access: AccessPattern::Classic,
        }
    }

    /// The access pattern field paths resolve with: the running pipeline's (classic outside any).
    pub fn access_pattern(&self) -> AccessPattern {
        self.access
    }

    /// Sets the access pattern (a pipeline sets its own while it runs), returning the previous one.
    pub fn set_access_pattern(&mut self, access: AccessPattern) -> AccessPattern {
        std::mem::replace(&mut self.access, access)
    }

    /// The year "now" falls in for year-less dates: that of `_ingest.timestamp` (injectable and
    /// deterministic), else the clock's.
    pub fn ingest_year(&self) -> i32 {
        use chrono::Datelike;
        self.ingest
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|s| s.get(..4))
            .and_then(|y| y.parse().ok())
            .unwrap_or_else(|| chrono::Utc::now().year())
    }

    /// The `_source` part of `ctx`: every field but the metadata.
    pub fn source(&self) -> Map {
        self.ctx
            .iter()
            .filter(|(k, _)| !is_metadata_key(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Consumes the document, returning its `_source`.
    pub fn into_source(self) -> Map {
        // In place: the map keeps its entries' hashes, so no key is hashed again.
        let mut ctx = self.ctx;
        ctx.retain(|k, _| !is_metadata_key(k));
        ctx
    }

    /// The metadata part of `ctx`.
    pub fn metadata(&self) -> Map {
        self.ctx
            .iter()
            .filter(|(k, _)| is_metadata_key(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn root(&self, path: &FieldPath) -> &Map {
        match path.root {
            PathRoot::Ctx => &self.ctx,
            PathRoot::Ingest => &self.ingest,
        }
    }

    fn root_mut(&mut self, path: &FieldPath) -> &mut Map {
        match path.root {
            PathRoot::Ctx => &mut self.ctx,
            PathRoot::Ingest => &mut self.ingest,
        }
    }

    /// The value at `path`, or Elasticsearch's error when it cannot be resolved.
    pub fn get(&self, path: &FieldPath) -> Result<&Value, IngestError> {
        let root = self.root(path);
        if self.access == AccessPattern::Flexible {
            return flexible::get(root, path);
        }
        lookup(root, path.parts()).map_err(|m| m.error(path.original()))
    }

    /// The value at `path`, or `None` when it is absent or cannot be resolved.
    pub fn get_opt(&self, path: &FieldPath) -> Option<&Value> {
        let root = self.root(path);
        if self.access == AccessPattern::Flexible {
            return flexible::get(root, path).ok();
        }
        // No error message is built for a miss: callers only want to know.
        lookup(root, path.parts()).ok()
    }

    /// Elasticsearch's `getFieldValue(path, String.class, ignoreMissing)`: the string at `path`,
    /// `None` for null (or for a field that cannot be resolved, when `ignore_missing`), and Java's
    /// cast error for any other type.
    pub fn get_string(
        &self,
        path: &FieldPath,
        ignore_missing: bool,
    ) -> Result<Option<&str>, IngestError> {
        let value = if ignore_missing {
            match self.get_opt(path) {
                Some(v) => v,
                None => return Ok(None),
            }
        } else {
            self.get(path)?
        };
        match value {
            Value::String(s) => Ok(Some(s)),
            Value::Null => Ok(None),
            other => Err(IngestError::illegal_argument(format!(
                "field [{path}] of type [{}] cannot be cast to [java.lang.String]",
                other.java_type()
            ))),
        }
    }

    /// Elasticsearch's `hasField`: false on missing keys, out-of-range indices, or scalar parents.
    pub fn has_field(&self, path: &FieldPath) -> bool {
        if self.access == AccessPattern::Flexible {
            return flexible::has_field(self.root(path), path, false).unwrap_or(false);
        }
        self.get_opt(path).is_some()
    }

    /// Elasticsearch's `hasField(path, failOutOfRange=true)`: an out-of-range index is an error.
    pub fn has_field_strict(&self, path: &FieldPath) -> Result<bool, IngestError> {
        let root = self.root(path);
        if self.access == AccessPattern::Flexible {
            return flexible::has_field(root, path, true);
        }
        let parts = path.parts();
        let mut cur: Option<&Value> = None;
        for (i, part) in parts.iter().enumerate() {
            let next = match cur {
                None => root.get(part.as_str()),
                Some(Value::Map(m)) => m.get(part.as_str()),
                Some(Value::List(l)) => {
                    // Integer.parseInt: past int range is not an index, so the field is absent.
                    let Ok(idx) = part.parse::<i32>() else {
                        return Ok(false);
                    };
                    if idx < 0 || idx as usize >= l.len() {
                        return Err(IngestError::illegal_argument(format!(
                            "[{idx}] is out of bounds for array with length [{}] as part of path [{}]",
                            l.len(),
                            path.original()
                        )));
                    }
                    l.get(idx as usize)
                }
                Some(_) => return Ok(false),
            };
            match next {
                Some(v) => cur = Some(v),
                None => return Ok(false),
            }
            if i == parts.len() - 1 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A mutable reference to the value at `path`, with the same errors as `get`.
    pub fn get_mut(&mut self, path: &FieldPath) -> Result<&mut Value, IngestError> {
        if self.access == AccessPattern::Flexible {
            return flexible::get_mut(self.root_mut(path), path);
        }
        let root = match path.root {
            PathRoot::Ctx => &mut self.ctx,
            PathRoot::Ingest => &mut self.ingest,
        };
        let parts = path.parts();
        let Some((first, rest)) = parts.split_first() else {
            return Err(path.invalid());
        };
        let mut cur = root
            .get_mut(first.as_str())
            .ok_or_else(|| path.not_present(first))?;
        for part in rest {
            cur = resolve_mut(cur, part, path)?;
        }
        Ok(cur)
    }

    /// A mutable reference to the value at `path`, or `None` where `get` would fail (no error
    /// message is built for a miss).
    pub fn get_mut_opt(&mut self, path: &FieldPath) -> Option<&mut Value> {
        if self.access == AccessPattern::Flexible {
            return flexible::get_mut(self.root_mut(path), path).ok();
        }
        let root = self.root_mut(path);
        walk_mut(root, path.parts())
    }

    /// Sets `path` to `value`, creating missing maps on the way (Elasticsearch's `setFieldValue`).
    pub fn set(&mut self, path: &FieldPath, value: Value) -> Result<(), IngestError> {
        self.set_inner(path, value, false, true)
    }

    /// Appends `value` to the field at `path` (Elasticsearch's `appendFieldValue`).
    pub fn append(
        &mut self,
        path: &FieldPath,
        value: Value,
        allow_duplicates: bool,
    ) -> Result<(), IngestError> {
        self.set_inner(path, value, true, allow_duplicates)
    }

    fn set_inner(
        &mut self,
        path: &FieldPath,
        value: Value,
        append: bool,
        allow_duplicates: bool,
    ) -> Result<(), IngestError> {
        if self.access == AccessPattern::Flexible {
            return flexible::set(self.root_mut(path), path, value, append, allow_duplicates);
        }
        let parts = path.parts();
        let Some((leaf, parents)) = parts.split_last() else {
            return Err(path.invalid());
        };
        let original = path.original();
        // Walk the parents as Elasticsearch's setFieldValue does: a missing or null key becomes a
        // new map; lists are indexed; anything else is an error naming the next path element.
        let mut cur: &mut Value = {
            let root = match path.root {
                PathRoot::Ctx => &mut self.ctx,
                PathRoot::Ingest => &mut self.ingest,
            };
            let Some(first) = parents.first() else {
                return set_leaf_in_map(root, leaf, value, append, allow_duplicates);
            };
            child_map(root, first)
        };
        // parents.first() returned Some just above, so parents is not empty.
        for part in &parents[1..] {
            cur = match cur {
                Value::Map(m) => child_map(m, part),
                Value::List(l) => {
                    let idx = list_index(part, l.len(), original)?;
                    // list_index checked idx < l.len().
                    &mut l[idx]
                }
                Value::Null => {
                    return Err(IngestError::illegal_argument(format!(
                        "cannot resolve [{part}] from null as part of path [{original}]"
                    )));
                }
                other => {
                    return Err(IngestError::illegal_argument(format!(
                        "cannot resolve [{part}] from object of type [{}] as part of path [{original}]",
                        other.java_type()
                    )));
                }
            };
        }
        match cur {
            Value::Map(m) => set_leaf_in_map(m, leaf, value, append, allow_duplicates),
            Value::List(l) => {
                // list_index checked idx < l.len().
                let idx = list_index(leaf, l.len(), original)?;
                if append {
                    append_value(&mut l[idx], value, allow_duplicates);
                } else {
                    l[idx] = value;
                }
                Ok(())
            }
            Value::Null => Err(IngestError::illegal_argument(format!(
                "cannot set [{leaf}] with null parent as part of path [{original}]"
            ))),
            other => Err(IngestError::illegal_argument(format!(
                "cannot set [{leaf}] with parent object of type [{}] as part of path [{original}]",
                other.java_type()
            ))),
        }
    }

    /// Removes the field at `path` if `has_field` finds it, returning its value; `None` with
    /// the document unchanged otherwise. What `has_field` then `remove` do, in one walk.
    pub fn remove_if_present(&mut self, path: &FieldPath) -> Option<Value> {
        if self.access == AccessPattern::Flexible {
            return if self.has_field(path) {
                self.remove(path).ok()
            } else {
                None
            };
        }
        let (leaf, parents) = path.parts().split_last()?;
        let root = self.root_mut(path);
        if parents.is_empty() {
            return root.shift_remove(leaf.as_str());
        }
        match walk_mut(root, parents)? {
            Value::Map(m) => m.shift_remove(leaf.as_str()),
            Value::List(l) => {
                let idx = index_in(leaf, l.len()).ok()?;
                // index_in checked idx < l.len().
                Some(l.remove(idx))
            }
            _ => None,
        }
    }

    /// Removes the field at `path`, returning its value (Elasticsearch's `removeField`).
    pub fn remove(&mut self, path: &FieldPath) -> Result<Value, IngestError> {
        if self.access == AccessPattern::Flexible {
            return flexible::remove(self.root_mut(path), path);
        }
        let parts = path.parts();
        let Some((leaf, parents)) = parts.split_last() else {
            return Err(path.invalid());
        };
        let original = path.original();
        let root = match path.root {
            PathRoot::Ctx => &mut self.ctx,
            PathRoot::Ingest => &mut self.ingest,
        };
        let Some((first, rest)) = parents.split_first() else {
            return root
                .shift_remove(leaf.as_str())
                .ok_or_else(|| not_present(leaf, original));
        };
        let mut cur = root
            .get_mut(first.as_str())
            .ok_or_else(|| not_present(first, original))?;
        for part in rest {
            cur = resolve_mut(cur, part, path)?;
        }
        match cur {
            Value::Map(m) => m
                .shift_remove(leaf.as_str())
                .ok_or_else(|| not_present(leaf, original)),
            Value::List(l) => {
                // list_index checked idx < l.len().
                let idx = list_index(leaf, l.len(), original)?;
                Ok(l.remove(idx))
            }
            Value::Null => Err(IngestError::illegal_argument(format!(
                "cannot remove [{leaf}] from null as part of path [{original}]"
            ))),
            other => Err(IngestError::illegal_argument(format!(
                "cannot remove [{leaf}] from object of type [{}] as part of path [{original}]",
                other.java_type()
            ))),
        }
    }
}

fn set_leaf_in_map(
    map: &mut Map,
    leaf: &str,
    value: Value,
    append: bool,
    allow_duplicates: bool,
) -> Result<(), IngestError> {
    // One hash and probe for both the lookup and, when the key is new, the insertion.
    let slot = match map.raw_entry_mut_v1().from_key(leaf) {
        RawEntryMut::Occupied(e) => e.into_mut(),
        RawEntryMut::Vacant(e) => {
            let new = if append {
                match value {
                    Value::List(l) => Value::List(l),
                    v => Value::List(vec![v]),
                }
            } else {
                value
            };
            e.insert(leaf.to_string(), new);
            return Ok(());
        }
    };
    if !append {
        *slot = value;
    } else if slot.is_null() {
        *slot = match value {
            Value::List(l) => Value::List(l),
            v => Value::List(vec![v]),
        };
    } else {
        append_value(slot, value, allow_duplicates);
    }
    Ok(())
}

/// The value under `key` for a path to go through, made a new map when missing or null
/// (`setFieldValue`'s walk); the key is only copied when it is added.
fn child_map<'m>(map: &'m mut Map, key: &str) -> &'m mut Value {
    // One hash and probe for both the lookup and, when the key is new, the insertion.
    let v = match map.raw_entry_mut_v1().from_key(key) {
        RawEntryMut::Occupied(e) => e.into_mut(),
        RawEntryMut::Vacant(e) => e.insert(key.to_string(), Value::Null).1,
    };
    if v.is_null() {
        *v = Value::Map(new_child_map());
    }
    v
}

/// A map a path walk creates. Such maps usually get a few keys in turn (`event.kind`, then
/// `event.created`, …): room for seven saves the regrowth (rehash and copy) a default map
/// needs at its fourth key.
fn new_child_map() -> Map {
    Map::with_capacity_and_hasher(7, Default::default())
}

/// Why a classic path did not resolve; the message is only built when someone wants it.
enum Miss<'a> {
    /// `field [key] not present as part of path [..]`.
    NotPresent(&'a str),
    /// A list index that is not an integer.
    NotInteger(&'a str),
    /// A list index out of range: the index and the list's length.
    OutOfBounds(i64, usize),
    /// A key looked up in null.
    FromNull(&'a str),
    /// A key looked up in a scalar of this Java type.
    FromType(&'a str, &'static str),
    /// A path with no elements.
    Invalid,
}

impl Miss<'_> {
    fn error(self, original: &str) -> IngestError {
        let reason = match self {
            Miss::NotPresent(key) => {
                format!("field [{key}] not present as part of path [{original}]")
            }
            Miss::NotInteger(part) => format!(
                "[{part}] is not an integer, cannot be used as an index as part of path [{original}]"
            ),
            Miss::OutOfBounds(idx, len) => format!(
                "[{idx}] is out of bounds for array with length [{len}] as part of path [{original}]"
            ),
            Miss::FromNull(part) => {
                format!("cannot resolve [{part}] from null as part of path [{original}]")
            }
            Miss::FromType(part, ty) => format!(
                "cannot resolve [{part}] from object of type [{ty}] as part of path [{original}]"
            ),
            Miss::Invalid => format!("path [{original}] is not valid"),
        };
        IngestError::illegal_argument(reason)
    }
}

/// Resolves a classic path's elements from `root` (Elasticsearch's `getFieldValue` walk).
fn lookup<'v, 'p>(root: &'v Map, parts: &'p [String]) -> Result<&'v Value, Miss<'p>> {
    let Some((first, rest)) = parts.split_first() else {
        return Err(Miss::Invalid);
    };
    let mut cur = root
        .get(first.as_str())
        .ok_or(Miss::NotPresent(first.as_str()))?;
    for part in rest {
        cur = match cur {
            Value::Map(m) => m
                .get(part.as_str())
                .ok_or(Miss::NotPresent(part.as_str()))?,
            // index_in checked the index against l.len().
            Value::List(l) => &l[index_in(part, l.len())?],
            Value::Null => return Err(Miss::FromNull(part)),
            other => return Err(Miss::FromType(part, other.java_type())),
        };
    }
    Ok(cur)
}

/// The value at `parts` below `root` (classic access: maps by key, lists by index), as
/// `lookup` (and so `has_field`) walks it, with mutable references; `None` where it stops.
fn walk_mut<'m>(root: &'m mut Map, parts: &[String]) -> Option<&'m mut Value> {
    let (first, rest) = parts.split_first()?;
    let mut cur = root.get_mut(first.as_str())?;
    for part in rest {
        cur = match cur {
            Value::Map(m) => m.get_mut(part.as_str())?,
            Value::List(l) => {
                let len = l.len();
                // index_in checked the index against the list's length.
                &mut l[index_in(part, len).ok()?]
            }
            _ => return None,
        };
    }
    Some(cur)
}

/// A list index element: Java's `Integer.parseInt` of it, within the list's bounds.
fn index_in(part: &str, len: usize) -> Result<usize, Miss<'_>> {
    // Integer.parseInt: a value past int range is "not an integer", not out of bounds.
    let idx: i32 = part.parse().map_err(|_| Miss::NotInteger(part))?;
    match usize::try_from(idx) {
        Ok(i) if i < len => Ok(i),
        _ => Err(Miss::OutOfBounds(i64::from(idx), len)),
    }
}

fn not_present(key: &str, original: &str) -> IngestError {
    IngestError::illegal_argument(format!(
        "field [{key}] not present as part of path [{original}]"
    ))
}

fn list_index(part: &str, len: usize, original: &str) -> Result<usize, IngestError> {
    index_in(part, len).map_err(|m| m.error(original))
}

fn resolve_mut<'a>(
    cur: &'a mut Value,
    part: &str,
    path: &FieldPath,
) -> Result<&'a mut Value, IngestError> {
    match cur {
        Value::Map(m) => m.get_mut(part).ok_or_else(|| path.not_present(part)),
        Value::List(l) => {
            let idx = list_index(part, l.len(), path.original())?;
            // list_index checked idx < l.len().
            Ok(&mut l[idx])
        }
        Value::Null => Err(IngestError::illegal_argument(format!(
            "cannot resolve [{part}] from null as part of path [{}]",
            path.original()
        ))),
        other => Err(IngestError::illegal_argument(format!(
            "cannot resolve [{part}] from object of type [{}] as part of path [{}]",
            other.java_type(),
            path.original()
        ))),
    }
}

/// Elasticsearch's append onto an existing value: scalars become lists, lists are flattened one level.
fn append_value(existing: &mut Value, value: Value, allow_duplicates: bool) {
    let new_items = match value {
        Value::List(l) => l,
        // One value (the usual case): what the list path below does for a list of one item,
        // without building that list.
        v => {
            let dup = !allow_duplicates
                && match &*existing {
                    Value::List(l) => l.contains(&v),
                    other => *other == v,
                };
            if !dup {
                match existing {
                    Value::List(l) => l.push(v),
                    other => *other = Value::List(vec![std::mem::take(other), v]),
                }
            }
            return;
        }
    };
    let items: Vec<Value> = if allow_duplicates {
        new_items
    } else {
        let mut kept: Vec<Value> = Vec::new();
        for v in new_items {
            let dup = match &*existing {
                Value::List(l) => l.contains(&v),
                other => *other == v,
            } || kept.contains(&v);
            if !dup {
                kept.push(v);
            }
        }
        if kept.is_empty() {
            return;
        }
        kept
    };
    match existing {
        Value::List(l) => l.extend(items),
        other => {
            let old = std::mem::take(other);
            let mut l = Vec::with_capacity(items.len() + 1);
            l.push(old);
            l.extend(items);
            *other = Value::List(l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> IngestDocument {
        let Value::Map(m) = Value::from_json_str(json).unwrap() else {
            panic!()
        };
        IngestDocument::new(m, "2024-01-01T00:00:00.000Z")
    }
    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    #[test]
    fn get_errors_match_elasticsearch() {
        let d = doc(r#"{"a":{"b":"x"},"l":[1,2],"n":null}"#);
        assert_eq!(d.get(&p("a.b")).unwrap(), &Value::from("x"));
        assert_eq!(d.get(&p("l.1")).unwrap(), &Value::Int(2));
        assert_eq!(
            d.get(&p("a.c")).unwrap_err().reason,
            "field [c] not present as part of path [a.c]"
        );
        assert_eq!(
            d.get(&p("a.b.c")).unwrap_err().reason,
            "cannot resolve [c] from object of type [java.lang.String] as part of path [a.b.c]"
        );
        assert_eq!(
            d.get(&p("l.5")).unwrap_err().reason,
            "[5] is out of bounds for array with length [2] as part of path [l.5]"
        );
        assert_eq!(
            d.get(&p("l.x")).unwrap_err().reason,
            "[x] is not an integer, cannot be used as an index as part of path [l.x]"
        );
        assert_eq!(
            d.get(&p("n.x")).unwrap_err().reason,
            "cannot resolve [x] from null as part of path [n.x]"
        );
        // Past Java's int range the index is "not an integer" (Integer.parseInt fails).
        assert_eq!(
            d.get(&p("l.99999999999")).unwrap_err().reason,
            "[99999999999] is not an integer, cannot be used as an index as part of path [l.99999999999]"
        );
        assert!(!d.has_field_strict(&p("l.99999999999")).unwrap());
    }

    #[test]
    fn get_mut_opt_finds_what_get_finds() {
        let mut d = doc(r#"{"a":{"b":"x"},"l":[1,{"c":2}],"n":null}"#);
        for path in [
            "a",
            "a.b",
            "a.c",
            "a.b.c",
            "l.0",
            "l.1.c",
            "l.2",
            "l.x",
            "l.-1",
            "n",
            "n.x",
            "z",
            "_ingest.timestamp",
            "_ingest.z",
        ] {
            let path = p(path);
            let got = d.get(&path).cloned().map_err(|e| e.reason);
            assert_eq!(
                d.get_mut_opt(&path).map(|v| v.clone()),
                got.clone().ok(),
                "{path}"
            );
            // get_mut (the in-place rewrites' read) fails as get does.
            assert_eq!(
                d.get_mut(&path).map(|v| v.clone()).map_err(|e| e.reason),
                got
            );
        }
    }

    #[test]
    fn remove_walks_nested_paths_and_lists() {
        let mut d = doc(r#"{"a":{"b":{"c":1}},"l":[1,{"x":2}],"top":3}"#);
        assert_eq!(d.remove(&p("a.b.c")).unwrap(), Value::Int(1));
        assert_eq!(d.remove(&p("l.1.x")).unwrap(), Value::Int(2));
        assert_eq!(d.remove(&p("l.0")).unwrap(), Value::Int(1));
        assert_eq!(d.remove(&p("top")).unwrap(), Value::Int(3));
        assert_eq!(
            d.remove(&p("a.z.c")).unwrap_err().reason,
            "field [z] not present as part of path [a.z.c]"
        );
        assert_eq!(
            d.remove(&p("l.3")).unwrap_err().reason,
            "[3] is out of bounds for array with length [1] as part of path [l.3]"
        );
        assert_eq!(
            d.remove(&p("missing")).unwrap_err().reason,
            "field [missing] not present as part of path [missing]"
        );
    }

    #[test]
    fn set_creates_maps_and_reports_scalar_parents() {
        let mut d = doc(r#"{"s":"x","l":[{"a":1}]}"#);
        d.set(&p("a.b.c"), Value::Int(1)).unwrap();
        assert_eq!(d.get(&p("a.b.c")).unwrap(), &Value::Int(1));
        d.set(&p("l.0.a"), Value::Int(2)).unwrap();
        assert_eq!(d.get(&p("l.0.a")).unwrap(), &Value::Int(2));
        assert_eq!(
            d.set(&p("s.x"), Value::Null).unwrap_err().reason,
            "cannot set [x] with parent object of type [java.lang.String] as part of path [s.x]"
        );
        d.set(&p("_ingest.k"), Value::Int(1)).unwrap();
        assert_eq!(d.ingest["k"], Value::Int(1));
        d.set(&p("_source.z"), Value::Int(1)).unwrap();
        assert_eq!(d.ctx["z"], Value::Int(1));
    }

    #[test]
    fn append_promotes_flattens_and_dedups() {
        let mut d = doc(r#"{"a":"x"}"#);
        d.append(&p("a"), Value::from("y"), true).unwrap();
        assert_eq!(d.get(&p("a")).unwrap().to_json(), r#"["x","y"]"#);
        d.append(&p("b"), Value::List(vec![1.into(), 2.into()]), true)
            .unwrap();
        assert_eq!(d.get(&p("b")).unwrap().to_json(), "[1,2]");
        let mut d = doc(r#"{"a":"x"}"#);
        d.append(&p("a"), Value::from("x"), false).unwrap();
        assert_eq!(d.get(&p("a")).unwrap().to_json(), r#""x""#);
        // One value and a list of that one value append alike, duplicates or not.
        for start in [r#""x""#, r#"["x","y"]"#, "null", "1"] {
            for (v, dups) in [("x", false), ("x", true), ("z", false), ("z", true)] {
                let mut one = doc(&format!(r#"{{"a":{start}}}"#));
                let mut list = one.clone();
                one.append(&p("a"), Value::from(v), dups).unwrap();
                list.append(&p("a"), Value::List(vec![Value::from(v)]), dups)
                    .unwrap();
                assert_eq!(one, list, "{start} + {v} ({dups})");
            }
        }
    }

    #[test]
    fn remove_if_present_is_has_field_then_remove() {
        let json = r#"{"a":{"b":{"c":1}},"l":[1,{"x":2}],"top":3,"n":null,"s":"v"}"#;
        for path in [
            "a.b.c",
            "a.b",
            "a.z",
            "a.b.c.d",
            "l.1.x",
            "l.0",
            "l.2",
            "l.x",
            "l.-1",
            "top",
            "n",
            "n.x",
            "s.x",
            "missing",
            "_ingest.timestamp",
            "_ingest.z",
        ] {
            let path = p(path);
            let mut once = doc(json);
            let mut twice = doc(json);
            let got = once.remove_if_present(&path);
            let want = if twice.has_field(&path) {
                Some(twice.remove(&path).unwrap())
            } else {
                None
            };
            assert_eq!(got, want, "{path}");
            assert_eq!(once, twice, "{path}");
        }
    }

    #[test]
    fn remove_reports_missing() {
        let mut d = doc(r#"{"a":{"b":1},"l":[1,2]}"#);
        assert_eq!(d.remove(&p("a.b")).unwrap(), Value::Int(1));
        assert_eq!(d.remove(&p("l.0")).unwrap(), Value::Int(1));
        assert_eq!(
            d.remove(&p("a.b")).unwrap_err().reason,
            "field [b] not present as part of path [a.b]"
        );
    }
}
