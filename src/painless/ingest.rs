//! The ingest script API: `metadata()` (org.elasticsearch.script.Metadata), the fields API
//! (`field(path)` returning a WriteField, and its shortcut `$(path, default)`), and the
//! `Processors.communityId` / `Processors.uriParts` helpers.

use super::interp::{Exc, Interp, Res, convert, read_only, set_member};
use super::time::{Time, tv};
use super::value::{K, Obj, V, copy_value, from_doc};
use crate::dates::Zone;
use crate::value::Value;
use indexmap::IndexMap;

/// The built-in functions of ingest scripts and conditions.
pub fn is_global_function(name: &str) -> bool {
    matches!(name, "metadata" | "field" | "$")
}

fn want_path(v: &V<'_>) -> Res<String> {
    match v {
        V::Str(s) => Ok(s.to_string()),
        V::Null => Err(Exc::npe(
            "Cannot invoke \"String.indexOf(int)\" because \"this.path\" is null",
        )),
        other => Err(Exc::cce(format!(
            "Cannot cast {} to java.lang.String",
            other.class_name()
        ))),
    }
}

/// `metadata()`, `field(path)` and `$(path, default)`.
pub fn call_global<'a>(it: &mut Interp<'a>, name: &str, args: Vec<V<'a>>) -> Res<V<'a>> {
    match (name, args.len()) {
        ("metadata", 0) => Ok(V::obj(Obj::Metadata(it.ctx.clone(), it.now()))),
        ("field", 1) => Ok(V::obj(Obj::Field(want_path(&args[0])?, it.ctx.clone()))),
        ("$", 2) => {
            let path = want_path(&args[0])?;
            let default = args[1].clone();
            Ok(match resolve(&it.ctx, &path) {
                (c, Some(leaf)) => map_get(&c, &leaf).unwrap_or(default),
                (_, None) => default,
            })
        }
        _ => Err(Exc::iae(format!(
            "Unknown call [{name}] with [{}] arguments.",
            args.len()
        ))),
    }
}

// ---------- metadata() ----------

const META: &[(&str, &str)] = &[
    ("Index", "_index"),
    ("Id", "_id"),
    ("Routing", "_routing"),
    ("Version", "_version"),
    ("VersionType", "_version_type"),
];

fn meta_key(prop: &str) -> Option<&'static str> {
    let mut cap = String::new();
    let mut chars = prop.chars();
    if let Some(c) = chars.next() {
        cap.push(c.to_ascii_uppercase());
        cap.push_str(chars.as_str());
    }
    META.iter().find(|(p, _)| *p == cap).map(|(_, k)| *k)
}

/// `m.index`, `m.now`, … (the getters of Metadata).
pub fn metadata_get<'a>(ctx: &V<'a>, now: chrono::NaiveDateTime, prop: &str) -> Res<V<'a>> {
    if prop == "now" {
        return Ok(tv(Time::Zoned(now, Zone::UTC)));
    }
    match meta_key(prop) {
        Some(k) => Ok(map_get(ctx, k).unwrap_or_default()),
        None => Err(Exc::iae(format!(
            "dynamic getter [org.elasticsearch.script.Metadata, {prop}] not found"
        ))),
    }
}

/// `m.index = v`, … (the setters of Metadata).
pub fn metadata_set<'a>(ctx: &V<'a>, prop: &str, v: V<'a>) -> Res<()> {
    let Some(k) = meta_key(prop) else {
        return Err(Exc::iae(format!(
            "dynamic setter [org.elasticsearch.script.Metadata, {prop}] not found"
        )));
    };
    let v = match k {
        "_version" => convert(v, &super::ast::Ty::Long, false)?,
        _ => match v {
            V::Str(_) | V::Null => v,
            other => {
                return Err(Exc::cce(format!(
                    "Cannot cast {} to java.lang.String",
                    other.class_name()
                )));
            }
        },
    };
    set_member(ctx, V::str(k), v, false)
}

/// `getIndex()`, `setIndex(v)`, `getNow()`, ….
pub fn metadata_method<'a>(
    ctx: &V<'a>,
    now: chrono::NaiveDateTime,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let lower = |s: &str| {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    match (name.get(..3), args.len()) {
        (Some("get"), 0) => metadata_get(ctx, now, &lower(&name[3..])),
        (Some("set"), 1) => {
            let v = args.into_iter().next().unwrap_or_default();
            metadata_set(ctx, &lower(&name[3..]), v).map(|_| V::Null)
        }
        _ => Err(Exc::iae(format!(
            "dynamic method [org.elasticsearch.script.Metadata, {name}/{}] not found",
            args.len()
        ))),
    }
}

// ---------- the fields API ----------

/// The value under `key` of a map, `None` when the key is absent.
fn map_get<'a>(m: &V<'a>, key: &str) -> Option<V<'a>> {
    match m {
        V::Map(m) => m.borrow().get(&K::str(key)).cloned(),
        V::DocMap(m) => m.get(key).map(from_doc),
        _ => None,
    }
}

/// WriteField.resolveDepthFlat: follows maps segment by segment; where a segment is not a map,
/// the rest of the path is tried as one literal key. Returns the container and the leaf key.
fn resolve<'a>(root: &V<'a>, path: &str) -> (V<'a>, Option<String>) {
    let mut container = root.clone();
    let mut last = 0;
    while let Some(dot) = path.get(last..).and_then(|r| r.find('.')) {
        let seg = &path[last..last + dot];
        match map_get(&container, seg) {
            Some(v) if v.is_map() => {
                container = v;
                last += dot + 1;
            }
            _ => {
                let rest = &path[last..];
                let found = map_get(&container, rest).is_some();
                return (container, found.then(|| rest.to_string()));
            }
        }
    }
    (container, Some(path[last..].to_string()))
}

/// WriteField.createDepth: makes the maps along the path; returns the container and leaf.
fn create_depth<'a>(root: &V<'a>, path: &str) -> Res<(V<'a>, String)> {
    let mut segs: Vec<&str> = path.split('.').collect();
    while segs.len() > 1 && segs.last() == Some(&"") {
        segs.pop();
    }
    let mut container = root.clone();
    let (leaf, parents) = segs.split_last().map_or(("", &[][..]), |(l, p)| (*l, p));
    for (i, seg) in parents.iter().enumerate() {
        match map_get(&container, seg) {
            Some(v) if v.is_map() => container = v,
            None => {
                let next = V::new_map(IndexMap::default());
                set_member(&container, V::str(seg), next.clone(), false)?;
                container = next;
            }
            Some(v) => {
                return Err(Exc::iae(format!(
                    "Segment [{i}:'{seg}'] has value [{}] of type [{}]",
                    v.to_java_string(),
                    v.class_name()
                )));
            }
        }
    }
    Ok((container, leaf.to_string()))
}

fn set_leaf<'a>(root: &V<'a>, path: &str) -> Res<(V<'a>, String)> {
    match resolve(root, path) {
        (c, Some(leaf)) => Ok((c, leaf)),
        (_, None) => create_depth(root, path),
    }
}

fn remove_key(container: &V<'_>, key: &str) -> Res<()> {
    match container {
        V::Map(m) => {
            m.borrow_mut().shift_remove(&K::str(key));
            Ok(())
        }
        V::DocMap(_) => Err(read_only()),
        _ => Ok(()),
    }
}

fn field_value<'a>(root: &V<'a>, path: &str) -> Option<(V<'a>, String, V<'a>)> {
    let (c, leaf) = resolve(root, path);
    let leaf = leaf?;
    let v = map_get(&c, &leaf)?;
    Some((c, leaf, v))
}

fn list_items<'a>(v: &V<'a>) -> Option<Vec<V<'a>>> {
    matches!(v, V::List(_) | V::DocList(_)).then(|| v.items())
}

/// The methods of WriteField.
pub fn field_method<'a>(
    it: &mut Interp<'a>,
    path: &str,
    root: &V<'a>,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let a = |i: usize| args.get(i).cloned().unwrap_or_default();
    let this = || V::obj(Obj::Field(path.to_string(), root.clone()));
    match (name, args.len()) {
        ("getName", 0) => Ok(V::str(path)),
        ("exists", 0) => Ok(V::Bool(field_value(root, path).is_some())),
        ("get", 1) => Ok(field_value(root, path).map_or(a(0), |(_, _, v)| v)),
        ("get", 2) => {
            let idx = match convert(a(0), &super::ast::Ty::Int, false)? {
                V::Int(i) => i,
                _ => 0,
            };
            Ok(match field_value(root, path) {
                Some((_, _, v)) => match list_items(&v) {
                    Some(items) => usize::try_from(idx)
                        .ok()
                        .and_then(|i| items.get(i).cloned())
                        .unwrap_or(a(1)),
                    None if idx == 0 => v,
                    None => a(1),
                },
                None => a(1),
            })
        }
        ("isEmpty" | "size", 0) => {
            let n = match field_value(root, path) {
                None => 0,
                Some((_, _, v)) => list_items(&v).map_or(1, |l| l.len()),
            };
            Ok(if name == "size" {
                V::Int(n as i32)
            } else {
                V::Bool(n == 0)
            })
        }
        ("iterator", 0) => {
            let items = match field_value(root, path) {
                None => vec![],
                Some((_, _, v)) => list_items(&v).unwrap_or_else(|| vec![v]),
            };
            super::builtins::call_method(it, V::new_list(items), "iterator", vec![])
        }
        ("set", 1) => {
            let (c, leaf) = set_leaf(root, path)?;
            set_member(&c, V::str(&leaf), a(0), false)?;
            Ok(this())
        }
        ("append", 1) => {
            let (c, leaf) = set_leaf(root, path)?;
            match map_get(&c, &leaf) {
                Some(V::List(l)) => l.borrow_mut().push(a(0)),
                Some(V::DocList(_)) => return Err(read_only()),
                None | Some(V::Null) => {
                    set_member(&c, V::str(&leaf), V::new_list(vec![a(0)]), false)?
                }
                Some(v) => set_member(&c, V::str(&leaf), V::new_list(vec![v, a(0)]), false)?,
            }
            Ok(this())
        }
        ("remove", 0) => {
            if let (c, Some(leaf)) = resolve(root, path) {
                remove_key(&c, &leaf)?;
            }
            Ok(V::Null)
        }
        ("move" | "overwrite", 1) => {
            let dest = want_path(&a(0))?;
            if name == "move"
                && field_value(root, &dest)
                    .is_some_and(|(_, _, v)| list_items(&v).is_none_or(|l| !l.is_empty()))
            {
                return Err(Exc::iae(format!(
                    "Cannot move to non-empty destination [{dest}]"
                )));
            }
            let value = field_value(root, path).map(|(_, _, v)| v);
            if let (c, Some(leaf)) = resolve(root, path) {
                remove_key(&c, &leaf)?;
            }
            match value {
                None => {
                    if let (c, Some(leaf)) = resolve(root, &dest) {
                        remove_key(&c, &leaf)?;
                    }
                }
                Some(v) => {
                    let (c, leaf) = set_leaf(root, &dest)?;
                    set_member(&c, V::str(&leaf), v, false)?;
                }
            }
            Ok(V::obj(Obj::Field(dest, root.clone())))
        }
        ("hasValue", 1) => {
            let Some((_, _, v)) = field_value(root, path) else {
                return Ok(V::Bool(false));
            };
            for x in list_items(&v).unwrap_or_else(|| vec![v]) {
                if matches!(it.call_value(&a(0), vec![x])?, V::Bool(true)) {
                    return Ok(V::Bool(true));
                }
            }
            Ok(V::Bool(false))
        }
        ("transform", 1) => {
            if let Some((c, leaf, v)) = field_value(root, path) {
                match &v {
                    V::List(l) => {
                        let items = l.borrow().clone();
                        let mut out = Vec::with_capacity(items.len());
                        for x in items {
                            out.push(it.call_value(&a(0), vec![x])?);
                        }
                        *l.borrow_mut() = out;
                    }
                    V::DocList(_) => return Err(read_only()),
                    _ => {
                        let nv = it.call_value(&a(0), vec![v])?;
                        set_member(&c, V::str(&leaf), nv, false)?;
                    }
                }
            }
            Ok(this())
        }
        ("removeValuesIf", 1) => {
            if let Some((c, leaf, v)) = field_value(root, path) {
                match &v {
                    V::List(l) => {
                        let items = l.borrow().clone();
                        let mut keep = Vec::with_capacity(items.len());
                        for x in items {
                            if !matches!(it.call_value(&a(0), vec![x.clone()])?, V::Bool(true)) {
                                keep.push(x);
                            }
                        }
                        *l.borrow_mut() = keep;
                    }
                    V::DocList(_) => return Err(read_only()),
                    _ => {
                        if matches!(it.call_value(&a(0), vec![v])?, V::Bool(true)) {
                            remove_key(&c, &leaf)?;
                        }
                    }
                }
            }
            Ok(this())
        }
        ("removeValue", 1) => {
            let idx = match convert(a(0), &super::ast::Ty::Int, false)? {
                V::Int(i) => i,
                _ => 0,
            };
            if let Some((c, leaf, v)) = field_value(root, path) {
                match &v {
                    V::List(l) => {
                        if let Ok(i) = usize::try_from(idx)
                            && i < l.borrow().len()
                        {
                            l.borrow_mut().remove(i);
                        }
                    }
                    V::DocList(_) => return Err(read_only()),
                    _ if idx == 0 => remove_key(&c, &leaf)?,
                    _ => {}
                }
            }
            Ok(this())
        }
        ("deduplicate", 0) => {
            if let Some((_, _, v)) = field_value(root, path) {
                match &v {
                    V::List(l) => {
                        let mut out: Vec<V<'a>> = Vec::new();
                        for x in l.borrow().iter() {
                            if !out.iter().any(|y| super::value::java_equals(x, y)) {
                                out.push(x.clone());
                            }
                        }
                        *l.borrow_mut() = out;
                    }
                    V::DocList(_) => return Err(read_only()),
                    _ => {}
                }
            }
            Ok(this())
        }
        _ => Err(Exc::iae(format!(
            "dynamic method [org.elasticsearch.script.field.WriteField, {name}/{}] not found",
            args.len()
        ))),
    }
}

// ---------- Processors helpers ----------

/// `Processors.communityId(srcIp, dstIp, ianaNumber, transport, srcPort, dstPort, icmpType,
/// icmpCode[, seed])`.
pub fn community_id<'a>(args: &[V<'a>]) -> Res<V<'a>> {
    let ip = |i: usize| -> Res<Option<String>> {
        match args.get(i) {
            Some(V::Str(s)) => Ok(Some(s.to_string())),
            None | Some(V::Null) => Ok(None),
            Some(other) => Err(Exc::cce(format!(
                "Cannot cast {} to java.lang.String",
                other.class_name()
            ))),
        }
    };
    let (src, dst) = (ip(0)?, ip(1)?);
    let vals: Vec<Value> = args
        .iter()
        .map(|v| v.to_value().unwrap_or(Value::Null))
        .collect();
    let seed = match args.get(8) {
        Some(v) => match convert(v.clone(), &super::ast::Ty::Int, false)? {
            V::Int(i) => i,
            _ => 0,
        },
        None => 0,
    };
    let flow = crate::processors::FlowFields {
        source_ip: src.as_deref(),
        destination_ip: dst.as_deref(),
        iana_number: vals.get(2),
        transport: vals.get(3),
        source_port: vals.get(4),
        destination_port: vals.get(5),
        icmp_type: vals.get(6),
        icmp_code: vals.get(7),
    };
    crate::processors::community_id(&flow, seed)
        .map(V::owned_str)
        .map_err(|e| Exc::iae(e.root_reason().to_string()))
}

/// `Processors.uriParts(url)`.
pub fn uri_parts<'a>(v: &V<'a>) -> Res<V<'a>> {
    let s = match v {
        V::Str(s) => s.clone(),
        V::Null => {
            return Err(Exc::npe(
                "Cannot invoke \"String.length()\" because \"str\" is null",
            ));
        }
        other => {
            return Err(Exc::cce(format!(
                "Cannot cast {} to java.lang.String",
                other.class_name()
            )));
        }
    };
    crate::processors::uri_parts(&s)
        .map(|m| copy_value(&Value::Map(m)))
        .map_err(Exc::iae)
}
