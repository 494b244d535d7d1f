//! Field access under the flexible access pattern (Elasticsearch 9.2+, `IngestDocument` with
//! `IngestPipelineFieldAccessPattern.FLEXIBLE`).
//!
//! At each map, the next path element is looked up as a key; when it is absent, the following
//! elements are joined to it with dots (`a.b`, `a.b.c`, …) until a key matches. A write to a path
//! that does not exist creates one dotted key in the deepest map found (set `a.b.c` on `{}` gives
//! `{"a.b.c": …}`); no intermediate maps are made. Lists are indexed only with `[n]`.
//!
//! Each operation first walks the document read-only, recording the route it took, then follows
//! that route mutably to change it.

use super::append_value;
use super::path::{Element, FieldPath, PathRoot};
use crate::error::IngestError;
use crate::value::{Map, Value};

/// One step of a route through the document: a key of a map, or an index of a list.
#[derive(Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Where a walk stands: the root map, or a value inside it.
#[derive(Clone, Copy)]
enum Ctx<'a> {
    Root(&'a Map, PathRoot),
    Value(&'a Value),
}

impl<'a> Ctx<'a> {
    fn map(self) -> Option<&'a Map> {
        match self {
            Ctx::Root(m, _) | Ctx::Value(Value::Map(m)) => Some(m),
            _ => None,
        }
    }

    /// The Java class name Elasticsearch's messages give for this object.
    fn type_name(self) -> &'static str {
        match self {
            Ctx::Root(_, PathRoot::Ctx) => "org.elasticsearch.ingest.IngestCtxMap",
            Ctx::Root(_, PathRoot::Ingest) => "java.util.HashMap",
            Ctx::Value(v) => v.java_type(),
        }
    }
}

/// A walk's end: the route to an object and that object.
struct Located<'a> {
    route: Vec<Step>,
    ctx: Ctx<'a>,
}

/// How resolving the first `limit` elements ended (Elasticsearch's `ResolveResult`).
enum Resolved<'a> {
    /// Every element was found.
    Found(Located<'a>),
    /// A map was reached but the remaining elements, joined with dots, are not a key in it.
    Incomplete(Located<'a>, String),
    /// The path cannot be followed.
    Error(IngestError),
}

fn not_present(path: &str, key: &str) -> IngestError {
    IngestError::illegal_argument(format!(
        "field [{key}] not present as part of path [{path}]"
    ))
}

fn cannot_resolve(path: &str, key: &str, ctx: Option<Ctx<'_>>) -> IngestError {
    IngestError::illegal_argument(match ctx {
        None => format!("cannot resolve [{key}] from null as part of path [{path}]"),
        Some(c) => format!(
            "cannot resolve [{key}] from object of type [{}] as part of path [{path}]",
            c.type_name()
        ),
    })
}

fn cannot_resolve_index(path: &str, index: usize, ctx: Ctx<'_>) -> IngestError {
    IngestError::illegal_argument(format!(
        "cannot resolve array index [{index}] from object of type [{}] as part of path [{path}]",
        ctx.type_name()
    ))
}

fn out_of_bounds(path: &str, index: usize, len: usize) -> IngestError {
    IngestError::illegal_argument(format!(
        "[{index}] is out of bounds for array with length [{len}] as part of path [{path}]"
    ))
}

fn is_null(ctx: Ctx<'_>) -> bool {
    matches!(ctx, Ctx::Value(Value::Null))
}

fn root_ctx<'a>(root: &'a Map, path: &FieldPath) -> Ctx<'a> {
    Ctx::Root(root, path.root)
}

/// Resolves the first `limit` elements (Elasticsearch's `IngestDocument.resolve`).
fn resolve<'a>(root: Ctx<'a>, elements: &[Element], limit: usize, path: &str) -> Resolved<'a> {
    let mut ctx = root;
    let mut route = Vec::new();
    let mut i = 0;
    while i < limit {
        // i < limit, and every caller passes limit = elements.len().
        let element = &elements[i];
        if is_null(ctx) {
            return Resolved::Error(cannot_resolve(path, &element.to_string(), None));
        }
        if let Some(map) = ctx.map() {
            let name = match element {
                Element::Index(idx) => {
                    return Resolved::Error(cannot_resolve_index(path, *idx, ctx));
                }
                Element::Field(name) => name,
            };
            if let Some(v) = map.get(name) {
                route.push(Step::Key(name.clone()));
                ctx = Ctx::Value(v);
            } else if i == limit - 1 {
                return Resolved::Incomplete(Located { route, ctx }, name.clone());
            } else {
                let mut combined = name.clone();
                let mut found = false;
                for (j, next) in elements.iter().enumerate().take(limit).skip(i + 1) {
                    let next = match next {
                        Element::Index(_) => {
                            return Resolved::Error(not_present(path, &combined));
                        }
                        Element::Field(n) => n,
                    };
                    combined.push('.');
                    combined.push_str(next);
                    if let Some(v) = map.get(&combined) {
                        route.push(Step::Key(combined.clone()));
                        ctx = Ctx::Value(v);
                        i = j;
                        found = true;
                        break;
                    }
                }
                if !found {
                    return Resolved::Incomplete(Located { route, ctx }, combined);
                }
            }
        } else if let Ctx::Value(Value::List(list)) = ctx {
            let idx = match element {
                Element::Field(name) => {
                    return Resolved::Error(cannot_resolve(path, name, Some(ctx)));
                }
                Element::Index(idx) => *idx,
            };
            let Some(v) = list.get(idx) else {
                return Resolved::Error(out_of_bounds(path, idx, list.len()));
            };
            route.push(Step::Index(idx));
            ctx = Ctx::Value(v);
        } else {
            return Resolved::Error(cannot_resolve(path, &element.to_string(), Some(ctx)));
        }
        i += 1;
    }
    Resolved::Found(Located { route, ctx })
}

/// Why walking to a leaf's container failed; `has_field` turns all but `OutOfBounds` (when asked
/// to fail on it) into `false`.
enum WalkError {
    OutOfBounds(IngestError),
    Other(IngestError),
}

/// Walks to the object that holds the last element, as `setFieldValue` and `hasField` do: when
/// the path runs out of existing keys, the rest of it (leaf included) becomes one dotted key of
/// the deepest map reached. Returns that object and the (possibly joined) leaf.
fn walk_to_container<'a>(
    root: Ctx<'a>,
    elements: &[Element],
    path: &str,
) -> Result<(Located<'a>, Element), WalkError> {
    let other = WalkError::Other;
    let (mut leaf, containers) = match elements.split_last() {
        Some((leaf, containers)) => (leaf.clone(), containers),
        None => {
            return Err(other(IngestError::illegal_argument(format!(
                "path [{path}] is not valid"
            ))));
        }
    };
    let last = containers.len();
    let mut ctx = root;
    let mut route = Vec::new();
    let mut i = 0;
    while i < last {
        // i < last = containers.len().
        let element = &containers[i];
        if is_null(ctx) {
            return Err(other(cannot_resolve(path, &element.to_string(), None)));
        }
        if let Some(map) = ctx.map() {
            let name = match element {
                Element::Index(idx) => return Err(other(cannot_resolve_index(path, *idx, ctx))),
                Element::Field(name) => name,
            };
            if let Some(v) = map.get(name) {
                route.push(Step::Key(name.clone()));
                ctx = Ctx::Value(v);
            } else if i == last - 1 {
                let Element::Field(leaf_name) = &leaf else {
                    return Err(other(not_present(path, name)));
                };
                leaf = Element::Field(format!("{name}.{leaf_name}"));
            } else {
                let mut combined = name.clone();
                let mut found = false;
                for (j, next) in containers.iter().enumerate().skip(i + 1) {
                    let Element::Field(next) = next else {
                        return Err(other(not_present(path, &combined)));
                    };
                    combined.push('.');
                    combined.push_str(next);
                    if let Some(v) = map.get(&combined) {
                        route.push(Step::Key(combined.clone()));
                        ctx = Ctx::Value(v);
                        i = j;
                        found = true;
                        break;
                    }
                }
                if !found {
                    let Element::Field(leaf_name) = &leaf else {
                        return Err(other(not_present(path, &combined)));
                    };
                    leaf = Element::Field(format!("{combined}.{leaf_name}"));
                    i = last;
                    continue;
                }
            }
        } else if let Ctx::Value(Value::List(list)) = ctx {
            let idx = match element {
                Element::Field(name) => return Err(other(cannot_resolve(path, name, Some(ctx)))),
                Element::Index(idx) => *idx,
            };
            let Some(v) = list.get(idx) else {
                return Err(WalkError::OutOfBounds(out_of_bounds(path, idx, list.len())));
            };
            route.push(Step::Index(idx));
            ctx = Ctx::Value(v);
        } else {
            return Err(other(cannot_resolve(path, &element.to_string(), Some(ctx))));
        }
        i += 1;
    }
    Ok((Located { route, ctx }, leaf))
}

/// Where a mutable walk stands.
enum CtxMut<'a> {
    Root(&'a mut Map),
    Value(&'a mut Value),
}

/// Follows a route a read-only walk recorded on the same, unchanged document.
fn follow<'a>(root: &'a mut Map, route: &[Step]) -> Result<CtxMut<'a>, IngestError> {
    let lost = || IngestError::illegal_state("flexible field access lost its route");
    let Some((first, rest)) = route.split_first() else {
        return Ok(CtxMut::Root(root));
    };
    let Step::Key(k) = first else {
        return Err(lost());
    };
    let mut cur = root.get_mut(k).ok_or_else(lost)?;
    for step in rest {
        cur = match (step, cur) {
            (Step::Key(k), Value::Map(m)) => m.get_mut(k).ok_or_else(lost)?,
            (Step::Index(i), Value::List(l)) => l.get_mut(*i).ok_or_else(lost)?,
            _ => return Err(lost()),
        };
    }
    Ok(CtxMut::Value(cur))
}

/// `getFieldValue`: the value at `path`.
pub(super) fn get<'a>(root: &'a Map, path: &FieldPath) -> Result<&'a Value, IngestError> {
    let elements = path.flexible_elements()?;
    let full = path.original();
    match resolve(root_ctx(root, path), elements, elements.len(), full) {
        Resolved::Found(Located {
            ctx: Ctx::Value(v), ..
        }) => Ok(v),
        Resolved::Found(_) => Err(IngestError::illegal_argument(format!(
            "path [{full}] is not valid"
        ))),
        Resolved::Incomplete(_, missing) => Err(not_present(full, &missing)),
        Resolved::Error(e) => Err(e),
    }
}

/// A mutable reference to the value at `path`, found as `get` finds it.
pub(super) fn get_mut<'a>(
    root: &'a mut Map,
    path: &FieldPath,
) -> Result<&'a mut Value, IngestError> {
    let elements = path.flexible_elements()?;
    let full = path.original();
    let route = match resolve(Ctx::Root(root, path.root), elements, elements.len(), full) {
        Resolved::Found(found) => found.route,
        Resolved::Incomplete(_, missing) => return Err(not_present(full, &missing)),
        Resolved::Error(e) => return Err(e),
    };
    match follow(root, &route)? {
        CtxMut::Value(v) => Ok(v),
        CtxMut::Root(_) => Err(IngestError::illegal_argument(format!(
            "path [{full}] is not valid"
        ))),
    }
}

/// `hasField(path, failOutOfRange)`.
pub(super) fn has_field(
    root: &Map,
    path: &FieldPath,
    fail_out_of_range: bool,
) -> Result<bool, IngestError> {
    let elements = path.flexible_elements()?;
    let full = path.original();
    let (found, leaf) = match walk_to_container(root_ctx(root, path), elements, full) {
        Ok(x) => x,
        Err(WalkError::OutOfBounds(e)) if fail_out_of_range => return Err(e),
        Err(_) => return Ok(false),
    };
    Ok(match (found.ctx, &leaf) {
        (ctx, Element::Field(name)) if ctx.map().is_some() => {
            ctx.map().is_some_and(|m| m.contains_key(name))
        }
        (Ctx::Value(Value::List(list)), Element::Index(idx)) => {
            if *idx < list.len() {
                true
            } else if fail_out_of_range {
                return Err(out_of_bounds(full, *idx, list.len()));
            } else {
                false
            }
        }
        _ => false,
    })
}

/// `setFieldValue` / `appendFieldValue`.
pub(super) fn set(
    root: &mut Map,
    path: &FieldPath,
    value: Value,
    append: bool,
    allow_duplicates: bool,
) -> Result<(), IngestError> {
    let elements = path.flexible_elements()?;
    let full = path.original();
    let (route, leaf) = {
        let (found, leaf) = match walk_to_container(Ctx::Root(root, path.root), elements, full) {
            Ok(x) => x,
            Err(WalkError::OutOfBounds(e) | WalkError::Other(e)) => return Err(e),
        };
        let ctx = found.ctx;
        // The checks that need the container's type, made before it is borrowed mutably.
        match (ctx, &leaf) {
            (Ctx::Value(Value::Null), _) => {
                return Err(IngestError::illegal_argument(format!(
                    "cannot set [{leaf}] with null parent as part of path [{full}]"
                )));
            }
            (c, Element::Index(idx)) if c.map().is_some() => {
                return Err(cannot_resolve_index(full, *idx, c));
            }
            (c @ Ctx::Value(Value::List(_)), Element::Field(name)) => {
                return Err(cannot_resolve(full, name, Some(c)));
            }
            (Ctx::Value(Value::List(list)), Element::Index(idx)) if *idx >= list.len() => {
                return Err(out_of_bounds(full, *idx, list.len()));
            }
            (c, _) if c.map().is_none() && !matches!(c, Ctx::Value(Value::List(_))) => {
                return Err(IngestError::illegal_argument(format!(
                    "cannot set [{leaf}] with parent object of type [{}] as part of path [{full}]",
                    c.type_name()
                )));
            }
            _ => {}
        }
        (found.route, leaf)
    };
    let target = follow(root, &route)?;
    let slot: &mut Value = match (target, leaf) {
        (CtxMut::Root(m) | CtxMut::Value(Value::Map(m)), Element::Field(name)) => {
            if !append {
                m.insert(name, value);
                return Ok(());
            }
            match m.get_mut(&name) {
                Some(existing) => existing,
                None => {
                    let list = match value {
                        Value::List(l) => l,
                        v => vec![v],
                    };
                    m.insert(name, Value::List(list));
                    return Ok(());
                }
            }
        }
        (CtxMut::Value(Value::List(l)), Element::Index(idx)) => {
            let len = l.len();
            l.get_mut(idx)
                .ok_or_else(|| out_of_bounds(full, idx, len))?
        }
        _ => {
            return Err(IngestError::illegal_state(
                "flexible field access lost its route",
            ));
        }
    };
    if append {
        append_value(slot, value, allow_duplicates);
    } else {
        *slot = value;
    }
    Ok(())
}

/// `removeField(path)`: removes and returns the value.
pub(super) fn remove(root: &mut Map, path: &FieldPath) -> Result<Value, IngestError> {
    let elements = path.flexible_elements()?;
    let full = path.original();
    let Some(leaf) = elements.last() else {
        return Err(IngestError::illegal_argument(format!(
            "path [{full}] is not valid"
        )));
    };
    let (route, leaf) = {
        let (found, leaf) = match resolve(
            Ctx::Root(root, path.root),
            elements,
            elements.len() - 1,
            full,
        ) {
            Resolved::Found(found) => (found, leaf.clone()),
            Resolved::Incomplete(found, missing) => match leaf {
                Element::Index(_) => return Err(not_present(full, &missing)),
                Element::Field(name) => (found, Element::Field(format!("{missing}.{name}"))),
            },
            Resolved::Error(e) => return Err(e),
        };
        let ctx = found.ctx;
        match (ctx, &leaf) {
            (Ctx::Value(Value::Null), _) => {
                return Err(IngestError::illegal_argument(format!(
                    "cannot remove [{leaf}] from null as part of path [{full}]"
                )));
            }
            (c, Element::Index(_)) if c.map().is_some() => {
                return Err(cannot_resolve(full, &leaf.to_string(), Some(c)));
            }
            (c, Element::Field(name)) if c.map().is_some_and(|m| !m.contains_key(name)) => {
                return Err(not_present(full, name));
            }
            (c @ Ctx::Value(Value::List(_)), Element::Field(name)) => {
                return Err(cannot_resolve(full, name, Some(c)));
            }
            (Ctx::Value(Value::List(list)), Element::Index(idx)) if *idx >= list.len() => {
                return Err(out_of_bounds(full, *idx, list.len()));
            }
            (c, _) if c.map().is_none() && !matches!(c, Ctx::Value(Value::List(_))) => {
                return Err(IngestError::illegal_argument(format!(
                    "cannot remove [{leaf}] from object of type [{}] as part of path [{full}]",
                    c.type_name()
                )));
            }
            _ => {}
        }
        (found.route, leaf)
    };
    let lost = || IngestError::illegal_state("flexible field access lost its route");
    match (follow(root, &route)?, leaf) {
        (CtxMut::Root(m) | CtxMut::Value(Value::Map(m)), Element::Field(name)) => {
            m.shift_remove(&name).ok_or_else(lost)
        }
        (CtxMut::Value(Value::List(l)), Element::Index(idx)) if idx < l.len() => Ok(l.remove(idx)),
        _ => Err(lost()),
    }
}

#[cfg(test)]
mod tests {
    use crate::document::{AccessPattern, FieldPath, IngestDocument};
    use crate::value::Value;

    /// A document resolving paths flexibly.
    fn doc(json: &str) -> IngestDocument {
        let Value::Map(m) = Value::from_json_str(json).unwrap() else {
            panic!("not an object: {json}")
        };
        let mut d = IngestDocument::new(m, "t");
        d.set_access_pattern(AccessPattern::Flexible);
        d
    }
    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }
    /// The document's source as JSON.
    fn source(d: &IngestDocument) -> String {
        Value::Map(d.source()).to_json()
    }
    fn get_err(json: &str, path: &str) -> String {
        doc(json).get(&p(path)).unwrap_err().reason
    }
    fn set_err(json: &str, path: &str) -> String {
        doc(json).set(&p(path), Value::Int(1)).unwrap_err().reason
    }
    fn remove_err(json: &str, path: &str) -> String {
        doc(json).remove(&p(path)).unwrap_err().reason
    }

    /// The four shapes of `a.b.c.d` the 340/350 YAML tests use.
    const SHAPES: [&str; 4] = [
        r#"{"a":{"b":{"c":{"d":0}}}}"#,
        r#"{"a.b.c.d":0}"#,
        r#"{"a.b":{"c.d":0}}"#,
        r#"{"a":{"b.c":{"d":0}}}"#,
    ];

    #[test]
    fn get_finds_every_dotted_shape() {
        for shape in SHAPES {
            assert_eq!(
                doc(shape).get(&p("a.b.c.d")).unwrap(),
                &Value::Int(0),
                "{shape}"
            );
        }
        // The shortest joined key wins, with no backtracking.
        let d = doc(r#"{"a.b":{"c":1},"a.b.c":2}"#);
        assert_eq!(d.get(&p("a.b.c")).unwrap(), &Value::Int(1));
    }

    #[test]
    fn get_reports_the_joined_missing_key() {
        assert_eq!(
            get_err("{}", "a.b.c"),
            "field [a.b.c] not present as part of path [a.b.c]"
        );
        assert_eq!(
            get_err(r#"{"a":{}}"#, "a.b"),
            "field [b] not present as part of path [a.b]"
        );
        assert_eq!(
            get_err(r#"{"a":null}"#, "a.b"),
            "cannot resolve [b] from null as part of path [a.b]"
        );
        assert_eq!(
            get_err(r#"{"a":"x"}"#, "a.b"),
            "cannot resolve [b] from object of type [java.lang.String] as part of path [a.b]"
        );
    }

    #[test]
    fn numeric_dot_segments_are_field_names() {
        assert_eq!(
            doc(r#"{"a":{"0":5}}"#).get(&p("a.0")).unwrap(),
            &Value::Int(5)
        );
        assert_eq!(
            get_err(r#"{"a":[1,2]}"#, "a.0"),
            "cannot resolve [0] from object of type [java.util.ArrayList] as part of path [a.0]"
        );
    }

    #[test]
    fn brackets_index_lists_only() {
        let d = doc(r#"{"a":[1,[2,3]],"m":{}}"#);
        assert_eq!(d.get(&p("a[1][0]")).unwrap(), &Value::Int(2));
        assert_eq!(
            d.get(&p("a[2]")).unwrap_err().reason,
            "[2] is out of bounds for array with length [2] as part of path [a[2]]"
        );
        assert_eq!(
            d.get(&p("m[0]")).unwrap_err().reason,
            "cannot resolve array index [0] from object of type [java.util.HashMap] as part of path [m[0]]"
        );
        for shape in [
            r#"{"a":{"b":{"c":{"d":[0,1]}}}}"#,
            r#"{"a.b.c.d":[0,1]}"#,
            r#"{"a.b":{"c.d":[0,1]}}"#,
            r#"{"a":{"b.c":{"d":[0,1]}}}"#,
        ] {
            assert_eq!(
                doc(shape).get(&p("a.b.c.d[1]")).unwrap(),
                &Value::Int(1),
                "{shape}"
            );
        }
        // An index cannot be part of a joined key.
        assert_eq!(
            get_err(r#"{"a.b":[1]}"#, "a[0].b"),
            "field [a] not present as part of path [a[0].b]"
        );
    }

    #[test]
    fn bad_flexible_paths_fail_when_used() {
        let d = doc(r#"{"a":[1]}"#);
        let err = |path: &str| d.get(&p(path)).unwrap_err();
        assert_eq!(
            err("a[x]").reason,
            "[x] is not an integer, cannot be used as an index as part of path [a[x]]"
        );
        assert_eq!(err("a]").reason, "path [a]] is not valid");
        assert_eq!(err("[0]").reason, "path [[0]] is not valid");
        assert_eq!(err("a[0]x").reason, "path [a[0]x] is not valid");
        assert_eq!(err("a[0").reason, "path [a[0] is not valid");
        assert_eq!(err("a..b").reason, "fieldName cannot be empty");
        let neg = err("a[-1]");
        assert_eq!(
            (neg.kind.as_str(), neg.reason.as_str()),
            ("index_out_of_bounds_exception", "Index out of range: -1")
        );
        // The same paths are plain keys in classic mode.
        let mut classic = doc(r#"{"a]":1}"#);
        classic.set_access_pattern(AccessPattern::Classic);
        assert_eq!(classic.get(&p("a]")).unwrap(), &Value::Int(1));
    }

    #[test]
    fn set_writes_a_dotted_key_in_the_deepest_existing_map() {
        let expected = [
            r#"{"a":{"b":{"c":{"d":"1"}}}}"#,
            r#"{"a.b.c.d":"1"}"#,
            r#"{"a.b":{"c.d":"1"}}"#,
            r#"{"a":{"b.c":{"d":"1"}}}"#,
        ];
        for (shape, want) in SHAPES.iter().zip(expected) {
            let mut d = doc(shape);
            d.set(&p("a.b.c.d"), Value::from("1")).unwrap();
            assert_eq!(source(&d), want, "{shape}");
        }
        let mut d = doc(r#"{"foo":"bar"}"#);
        d.set(&p("a.b.c.d"), Value::from("1")).unwrap();
        assert_eq!(source(&d), r#"{"foo":"bar","a.b.c.d":"1"}"#);
        let mut d = doc(r#"{"a":{"x":1}}"#);
        d.set(&p("a.b.c"), Value::Int(2)).unwrap();
        assert_eq!(source(&d), r#"{"a":{"x":1,"b.c":2}}"#);
        d.set(&p("_ingest.k.l"), Value::Int(3)).unwrap();
        assert_eq!(d.ingest["k.l"], Value::Int(3));
    }

    #[test]
    fn set_into_lists_and_its_errors() {
        let mut d = doc(r#"{"a":[1,2]}"#);
        d.set(&p("a[1]"), Value::Int(9)).unwrap();
        assert_eq!(source(&d), r#"{"a":[1,9]}"#);
        assert_eq!(
            set_err(r#"{"a":[1]}"#, "a[3]"),
            "[3] is out of bounds for array with length [1] as part of path [a[3]]"
        );
        assert_eq!(
            set_err(r#"{"a":[1]}"#, "a.b"),
            "cannot resolve [b] from object of type [java.util.ArrayList] as part of path [a.b]"
        );
        assert_eq!(
            set_err("{}", "a[0]"),
            "field [a] not present as part of path [a[0]]"
        );
        assert_eq!(
            set_err("{}", "a.b[0]"),
            "field [a.b] not present as part of path [a.b[0]]"
        );
        assert_eq!(
            set_err(r#"{"a":{}}"#, "a[0]"),
            "cannot resolve array index [0] from object of type [java.util.HashMap] as part of path [a[0]]"
        );
        assert_eq!(
            set_err(r#"{"a":"s"}"#, "a.b"),
            "cannot set [b] with parent object of type [java.lang.String] as part of path [a.b]"
        );
        assert_eq!(
            set_err(r#"{"a":null}"#, "a.b"),
            "cannot set [b] with null parent as part of path [a.b]"
        );
        // A null on the way is not replaced by a map (unlike missing keys, which are joined).
        assert_eq!(
            set_err(r#"{"a":null}"#, "a.b.c"),
            "cannot resolve [b] from null as part of path [a.b.c]"
        );
    }

    #[test]
    fn append_creates_or_extends_lists() {
        let expected = [
            r#"{"a":{"b":{"c":{"d":[0,1]}}}}"#,
            r#"{"a.b.c.d":[0,1]}"#,
            r#"{"a.b":{"c.d":[0,1]}}"#,
            r#"{"a":{"b.c":{"d":[0,1]}}}"#,
        ];
        for (shape, want) in SHAPES.iter().zip(expected) {
            let mut d = doc(shape);
            d.append(&p("a.b.c.d"), Value::Int(1), true).unwrap();
            assert_eq!(source(&d), want, "{shape}");
        }
        let mut d = doc("{}");
        d.append(&p("a.b"), Value::List(vec![1.into(), 2.into()]), true)
            .unwrap();
        assert_eq!(source(&d), r#"{"a.b":[1,2]}"#);
        d.append(&p("a.b"), Value::Int(2), false).unwrap();
        assert_eq!(source(&d), r#"{"a.b":[1,2]}"#);
        // An existing null is a value: it is kept in the list.
        let mut d = doc(r#"{"n":null}"#);
        d.append(&p("n"), Value::Int(1), true).unwrap();
        assert_eq!(source(&d), r#"{"n":[null,1]}"#);
    }

    #[test]
    fn remove_handles_dotted_keys_and_indices() {
        for shape in SHAPES {
            let mut d = doc(shape);
            assert_eq!(d.remove(&p("a.b.c.d")).unwrap(), Value::Int(0), "{shape}");
            assert!(!d.has_field(&p("a.b.c.d")), "{shape}");
        }
        let mut d = doc(r#"{"a.b":{"c.d":[0,1]}}"#);
        assert_eq!(d.remove(&p("a.b.c.d[0]")).unwrap(), Value::Int(0));
        assert_eq!(source(&d), r#"{"a.b":{"c.d":[1]}}"#);
        assert_eq!(
            remove_err("{}", "x.y"),
            "field [x.y] not present as part of path [x.y]"
        );
        assert_eq!(
            remove_err("{}", "x[0]"),
            "field [x] not present as part of path [x[0]]"
        );
        assert_eq!(
            remove_err(r#"{"a":{}}"#, "a[0]"),
            "cannot resolve [[0]] from object of type [java.util.HashMap] as part of path [a[0]]"
        );
        assert_eq!(
            remove_err(r#"{"a":[1]}"#, "a[4]"),
            "[4] is out of bounds for array with length [1] as part of path [a[4]]"
        );
        assert_eq!(
            remove_err(r#"{"a":[1]}"#, "a.b"),
            "cannot resolve [b] from object of type [java.util.ArrayList] as part of path [a.b]"
        );
        assert_eq!(
            remove_err(r#"{"a":null}"#, "a.b"),
            "cannot remove [b] from null as part of path [a.b]"
        );
        assert_eq!(
            remove_err(r#"{"a":1}"#, "a.b"),
            "cannot remove [b] from object of type [java.lang.Integer] as part of path [a.b]"
        );
    }

    #[test]
    fn has_field_follows_set_resolution() {
        for shape in SHAPES {
            let d = doc(shape);
            assert!(d.has_field(&p("a.b.c.d")), "{shape}");
            assert!(!d.has_field(&p("a.b.c.e")), "{shape}");
            assert_eq!(d.has_field_strict(&p("a.b.c.d")), Ok(true), "{shape}");
        }
        let d = doc(r#"{"l":[1],"a":{"0":1}}"#);
        assert!(d.has_field(&p("l[0]")));
        assert!(!d.has_field(&p("l.0")));
        assert!(d.has_field(&p("a.0")));
        assert!(!d.has_field(&p("l[3]")));
        assert_eq!(
            d.has_field_strict(&p("l[3]")).unwrap_err().reason,
            "[3] is out of bounds for array with length [1] as part of path [l[3]]"
        );
        assert_eq!(d.has_field_strict(&p("nope.x")), Ok(false));
    }

    #[test]
    fn get_mut_changes_the_value_found() {
        let mut d = doc(r#"{"a.b":{"c":[1,2]}}"#);
        *d.get_mut(&p("a.b.c[1]")).unwrap() = Value::Int(7);
        assert_eq!(source(&d), r#"{"a.b":{"c":[1,7]}}"#);
        assert_eq!(
            d.get_mut(&p("a.x")).unwrap_err().reason,
            "field [a.x] not present as part of path [a.x]"
        );
    }

    #[test]
    fn classic_stays_the_default() {
        let Value::Map(m) = Value::from_json_str(r#"{"a.b":1,"l":[5]}"#).unwrap() else {
            panic!()
        };
        let mut d = IngestDocument::new(m, "t");
        assert_eq!(d.access_pattern(), AccessPattern::Classic);
        assert_eq!(
            d.get(&p("a.b")).unwrap_err().reason,
            "field [a] not present as part of path [a.b]"
        );
        assert_eq!(d.get(&p("l.0")).unwrap(), &Value::Int(5));
        d.set(&p("x.y"), Value::Int(1)).unwrap();
        assert_eq!(
            Value::Map(d.source()).to_json(),
            r#"{"a.b":1,"l":[5],"x":{"y":1}}"#
        );
        assert_eq!(
            d.set_access_pattern(AccessPattern::Flexible),
            AccessPattern::Classic
        );
        assert_eq!(d.get(&p("a.b")).unwrap(), &Value::Int(1));
    }
}
