//! Run-time values of the interpreter: Java objects with reference semantics, plus borrowed
//! read-only views of the document for conditions.

use super::ast::{FuncRef, Function, Lambda, Ty};
use super::regex::JavaRegex;
use crate::value::{HashState, Map, Value, java_double_to_string, java_float_to_string};
use indexmap::{IndexMap, IndexSet};
use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::sync::Arc;

/// A shared, mutable list (ArrayList or array).
pub type ListRef<'a> = Rc<RefCell<Vec<V<'a>>>>;
/// A shared, mutable map (HashMap; insertion-ordered for determinism).
pub type MapRef<'a> = Rc<RefCell<IndexMap<K<'a>, V<'a>, HashState>>>;
/// A shared, mutable set.
pub type SetRef<'a> = Rc<RefCell<IndexSet<K<'a>, HashState>>>;

/// One Java value.
#[derive(Clone, Debug, Default)]
pub enum V<'a> {
    /// `null`.
    #[default]
    Null,
    /// Boolean.
    Bool(bool),
    /// Byte.
    Byte(i8),
    /// Short.
    Short(i16),
    /// Character (one UTF-16 unit).
    Char(u16),
    /// Integer.
    Int(i32),
    /// Long.
    Long(i64),
    /// Float.
    Float(f32),
    /// Double.
    Double(f64),
    /// String.
    Str(JStr<'a>),
    /// ArrayList.
    List(ListRef<'a>),
    /// A Java array (`String[]`, …).
    Array(ListRef<'a>),
    /// HashMap.
    Map(MapRef<'a>),
    /// HashSet.
    Set(SetRef<'a>),
    /// A live view of a map: `keySet()`, `values()` or `entrySet()`.
    View(MapRef<'a>, ViewKind),
    /// A read-only map of the document (conditions) or of `params`.
    DocMap(&'a Map),
    /// A read-only list of the document.
    DocList(&'a [Value]),
    /// Any other object.
    Obj(Rc<Obj<'a>>),
}

/// A Java string: shared by the values that hold it, or lent for the run by the script's
/// source or the document (so literals and document strings are not copied).
#[derive(Clone)]
pub enum JStr<'a> {
    /// Made by the script.
    Shared(Rc<str>),
    /// A literal of the script or a string of the document.
    Lent(&'a str),
}

impl std::ops::Deref for JStr<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            JStr::Shared(s) => s,
            JStr::Lent(s) => s,
        }
    }
}

impl std::fmt::Debug for JStr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for JStr<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq for JStr<'_> {
    /// Text equality; the same string object is equal without reading it (as `String.equals`).
    fn eq(&self, other: &Self) -> bool {
        same_text(self, other)
    }
}

impl Eq for JStr<'_> {}

impl Hash for JStr<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (**self).hash(h)
    }
}

impl From<Rc<str>> for JStr<'_> {
    fn from(s: Rc<str>) -> Self {
        JStr::Shared(s)
    }
}

impl JStr<'_> {
    /// The string as an `Rc` (copied when lent).
    pub fn to_rc(&self) -> Rc<str> {
        match self {
            JStr::Shared(s) => s.clone(),
            JStr::Lent(s) => Rc::from(*s),
        }
    }

    /// Whether both are the very same string object (Java's `==` on strings).
    pub fn same(&self, other: &JStr<'_>) -> bool {
        let (a, b): (&str, &str) = (self, other);
        std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
    }
}

/// Which view of a map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ViewKind {
    /// `keySet()`.
    Keys,
    /// `values()`.
    Values,
    /// `entrySet()`.
    Entries,
}

/// Objects without a literal syntax.
#[derive(Debug)]
pub enum Obj<'a> {
    /// StringBuilder.
    Builder(RefCell<String>),
    /// Map.Entry (from `entrySet()`); `setValue` writes through to the map.
    Entry(V<'a>, RefCell<V<'a>>, Option<MapRef<'a>>),
    /// Pattern.
    Pattern(Arc<JavaRegex>),
    /// Matcher.
    Matcher(RefCell<Matcher>),
    /// Iterator over a snapshot of a collection.
    Iter(RefCell<IterState<'a>>),
    /// A lambda or method reference.
    Func(Func<'a>),
    /// StringTokenizer.
    Tokenizer(RefCell<(Vec<String>, usize)>),
    /// CIDR (`new CIDR('10.0.0.0/8')`).
    Cidr(std::net::IpAddr, u8),
    /// An exception object.
    Exception(&'static str, Option<String>),
    /// A stream (eager).
    Stream(Vec<V<'a>>),
    /// A collector (`Collectors.toList()`, `joining`).
    Collector(Collector<'a>),
    /// `metadata()` of an ingest script: the ctx map it reads and writes, and the ingest time.
    Metadata(V<'a>, chrono::NaiveDateTime),
    /// `field(path)`: the fields API over a root map.
    Field(String, V<'a>),
    /// A java.time object.
    Time(super::time::Time),
}

/// `Collectors.*`.
#[derive(Debug)]
pub enum Collector<'a> {
    /// toList().
    List,
    /// toSet().
    Set,
    /// joining(sep, prefix, suffix).
    Joining(String, String, String),
    /// toMap(keyFn, valueFn).
    Map(V<'a>, V<'a>),
}

/// An iterator: a snapshot, the position, and the collection `remove()` deletes from.
#[derive(Debug)]
pub struct IterState<'a> {
    /// The elements (map entries for `entrySet().iterator()`).
    pub items: Vec<V<'a>>,
    /// Index of the next element.
    pub pos: usize,
    /// Elements removed so far (list index correction).
    pub removed: usize,
    /// The collection iterated (for `remove()`).
    pub source: V<'a>,
}

/// A regex match state.
#[derive(Debug)]
pub struct Matcher {
    /// The pattern.
    pub re: Arc<JavaRegex>,
    /// The input.
    pub text: Rc<str>,
    /// Group spans of the last successful match.
    pub groups: Option<Vec<Option<(usize, usize)>>>,
    /// Where the next `find()` starts.
    pub next: usize,
}

/// Something callable.
#[derive(Debug)]
pub enum Func<'a> {
    /// A lambda with its captured variables, and the function it only forwards its
    /// parameters to, if it does (see `Interp::forwarded`).
    Lambda(
        &'a Lambda,
        Vec<(&'a str, &'a Ty, V<'a>)>,
        Option<(&'a Function, usize)>,
    ),
    /// A script function.
    Local(&'a Function),
    /// A method reference.
    Ref(&'a FuncRef, Option<V<'a>>),
}

/// A map key or set element: Java `equals`/`hashCode` on a value.
#[derive(Clone, Debug)]
pub struct K<'a>(pub V<'a>);

impl PartialEq for K<'_> {
    fn eq(&self, other: &Self) -> bool {
        java_equals(&self.0, &other.0)
    }
}
impl Eq for K<'_> {}
impl Hash for K<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match &self.0 {
            V::Null => 0u8.hash(h),
            V::Bool(b) => b.hash(h),
            V::Str(s) => s.hash(h),
            V::Int(i) => i.hash(h),
            V::Long(l) => l.hash(h),
            V::Char(c) => c.hash(h),
            V::Byte(b) => b.hash(h),
            V::Short(s) => s.hash(h),
            V::Float(f) => f.to_bits().hash(h),
            V::Double(d) => d.to_bits().hash(h),
            _ => 1u8.hash(h),
        }
    }
}

/// A string key to look up without building a [`K`] (it hashes as `K(V::Str)` does).
pub struct StrKey<'s>(pub &'s str);

impl Hash for StrKey<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h)
    }
}

impl<'a> indexmap::Equivalent<K<'a>> for StrKey<'_> {
    fn equivalent(&self, k: &K<'a>) -> bool {
        matches!(&k.0, V::Str(s) if **s == *self.0)
    }
}

impl<'a> K<'a> {
    /// A string key.
    pub fn str(s: &str) -> K<'a> {
        K(V::str(s))
    }
}

/// Java `equals` between two objects (numbers of different types are not equal).
pub fn java_equals<'a>(a: &V<'a>, b: &V<'a>) -> bool {
    use V::*;
    match (a, b) {
        (Null, Null) => true,
        (Bool(x), Bool(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        (Long(x), Long(y)) => x == y,
        (Byte(x), Byte(y)) => x == y,
        (Short(x), Short(y)) => x == y,
        (Char(x), Char(y)) => x == y,
        (Float(x), Float(y)) => x.to_bits() == y.to_bits(),
        (Double(x), Double(y)) => x.to_bits() == y.to_bits(),
        (Str(x), Str(y)) => x == y,
        _ if a.is_list_like() && b.is_list_like() => {
            if a.is_set() != b.is_set() {
                return false;
            }
            let (x, y) = (a.items(), b.items());
            if a.is_set() {
                x.len() == y.len() && x.iter().all(|v| y.iter().any(|w| java_equals(v, w)))
            } else {
                x.len() == y.len() && x.iter().zip(y.iter()).all(|(v, w)| java_equals(v, w))
            }
        }
        (Array(x), Array(y)) => Rc::ptr_eq(x, y),
        _ if a.is_map() && b.is_map() => {
            let (x, y) = (a.map_entries(), b.map_entries());
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| java_equals(k, k2) && java_equals(v, v2))
                })
        }
        (Obj(x), Obj(y)) => match (&**x, &**y) {
            (self::Obj::Entry(k1, v1, _), self::Obj::Entry(k2, v2, _)) => {
                java_equals(k1, k2) && java_equals(&v1.borrow(), &v2.borrow())
            }
            (self::Obj::Cidr(a1, p1), self::Obj::Cidr(a2, p2)) => a1 == a2 && p1 == p2,
            (self::Obj::Time(t1), self::Obj::Time(t2)) => t1 == t2,
            _ => Rc::ptr_eq(x, y),
        },
        _ => false,
    }
}

/// Java's `hashCode()` of a value (identity-hashed objects count as 0).
pub fn java_hash_code(v: &V<'_>) -> i32 {
    match v {
        V::Null => 0,
        V::Str(s) => s
            .encode_utf16()
            .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32)),
        V::Int(i) => *i,
        V::Short(x) => *x as i32,
        V::Byte(x) => *x as i32,
        V::Char(c) => *c as i32,
        V::Long(l) => (*l ^ ((*l as u64) >> 32) as i64) as i32,
        V::Bool(b) => {
            if *b {
                1231
            } else {
                1237
            }
        }
        V::Float(f) => {
            let f = if f.is_nan() { f32::NAN } else { *f };
            f.to_bits() as i32
        }
        V::Double(d) => {
            let bits = if d.is_nan() { f64::NAN } else { *d }.to_bits();
            (bits ^ (bits >> 32)) as i32
        }
        V::List(_) | V::DocList(_) | V::Array(_) => v.items().iter().fold(1i32, |h, e| {
            h.wrapping_mul(31).wrapping_add(java_hash_code(e))
        }),
        V::Set(_) | V::View(_, ViewKind::Keys) => v
            .items()
            .iter()
            .fold(0i32, |h, e| h.wrapping_add(java_hash_code(e))),
        V::Map(_) | V::DocMap(_) => v.map_entries().iter().fold(0i32, |h, (k, x)| {
            h.wrapping_add(java_hash_code(k) ^ java_hash_code(x))
        }),
        V::Obj(o) => match &**o {
            Obj::Entry(k, x, _) => java_hash_code(k) ^ java_hash_code(&x.borrow()),
            _ => 0,
        },
        V::View(..) => 0,
    }
}

/// The order in which a java.util.HashMap (or HashSet) built by successive insertions visits
/// keys with these hash codes, given in insertion order: by bucket (`(h ^ h >>> 16) & (n - 1)`
/// for a table of `n` ≥ 16 slots that doubles past a 0.75 load), insertion order within one.
pub fn hash_order(hashes: &[i32]) -> Vec<usize> {
    let mut n: usize = 16;
    while hashes.len() * 4 > n * 3 {
        n *= 2;
    }
    let bucket = |h: i32| {
        let h = h as u32;
        ((h ^ (h >> 16)) as usize) & (n - 1)
    };
    let mut idx: Vec<usize> = (0..hashes.len()).collect();
    // `i` ranges over the indexes of `hashes`.
    idx.sort_by_key(|&i| bucket(hashes[i]));
    idx
}

/// Reorders items (given in insertion order) as a HashMap iterates them, keyed by `hash`.
fn in_hash_order<T>(items: Vec<T>, hash: impl Fn(&T) -> i32) -> Vec<T> {
    let hashes: Vec<i32> = items.iter().map(&hash).collect();
    let order = hash_order(&hashes);
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    // `order` is a permutation of the indexes of `slots`.
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

impl<'a> V<'a> {
    /// A string value.
    pub fn str(s: &str) -> V<'a> {
        V::Str(JStr::Shared(Rc::from(s)))
    }

    /// A string value made from `s` (a `String`, `&str`, …).
    pub fn owned_str(s: impl Into<Rc<str>>) -> V<'a> {
        V::Str(JStr::Shared(s.into()))
    }

    /// A new ArrayList.
    pub fn new_list(items: Vec<V<'a>>) -> V<'a> {
        V::List(Rc::new(RefCell::new(items)))
    }

    /// A new HashMap.
    pub fn new_map(m: IndexMap<K<'a>, V<'a>, HashState>) -> V<'a> {
        V::Map(Rc::new(RefCell::new(m)))
    }

    /// A new object.
    pub fn obj(o: Obj<'a>) -> V<'a> {
        V::Obj(Rc::new(o))
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, V::Null)
    }

    /// True for lists, arrays, sets (anything `items()` can read as a sequence).
    pub fn is_list_like(&self) -> bool {
        matches!(self, V::List(_) | V::DocList(_) | V::Set(_) | V::View(..))
    }

    /// True for sets.
    pub fn is_set(&self) -> bool {
        matches!(self, V::Set(_)) || matches!(self, V::View(_, k) if *k != ViewKind::Values)
    }

    /// True for maps (own or document).
    pub fn is_map(&self) -> bool {
        matches!(self, V::Map(_) | V::DocMap(_))
    }

    /// The elements of a list, array, set or document list (a snapshot), sets and map views in
    /// java.util.HashMap iteration order.
    pub fn items(&self) -> Vec<V<'a>> {
        match self {
            V::List(l) | V::Array(l) => l.borrow().clone(),
            V::Set(s) => in_hash_order(
                s.borrow().iter().map(|k| k.0.clone()).collect(),
                java_hash_code,
            ),
            V::DocList(l) => l.iter().map(from_doc).collect(),
            V::View(m, kind) => {
                let entries = in_hash_order(
                    m.borrow()
                        .iter()
                        .map(|(k, v)| (k.0.clone(), v.clone()))
                        .collect(),
                    |(k, _)| java_hash_code(k),
                );
                entries
                    .into_iter()
                    .map(|(k, v)| match kind {
                        ViewKind::Keys => k,
                        ViewKind::Values => v,
                        ViewKind::Entries => {
                            V::obj(Obj::Entry(k, RefCell::new(v), Some(m.clone())))
                        }
                    })
                    .collect()
            }
            _ => vec![],
        }
    }

    /// The entries of a map (a snapshot), in java.util.HashMap iteration order.
    pub fn map_entries(&self) -> Vec<(V<'a>, V<'a>)> {
        let entries = match self {
            V::Map(m) => m
                .borrow()
                .iter()
                .map(|(k, v)| (k.0.clone(), v.clone()))
                .collect(),
            V::DocMap(m) => m.iter().map(|(k, v)| (V::str(k), from_doc(v))).collect(),
            _ => vec![],
        };
        in_hash_order(entries, |(k, _)| java_hash_code(k))
    }

    /// The Java class name, as printed in error messages.
    pub fn class_name(&self) -> &'static str {
        match self {
            V::Null => "null",
            V::Bool(_) => "java.lang.Boolean",
            V::Byte(_) => "java.lang.Byte",
            V::Short(_) => "java.lang.Short",
            V::Char(_) => "java.lang.Character",
            V::Int(_) => "java.lang.Integer",
            V::Long(_) => "java.lang.Long",
            V::Float(_) => "java.lang.Float",
            V::Double(_) => "java.lang.Double",
            V::Str(_) => "java.lang.String",
            V::List(_) => "java.util.ArrayList",
            V::DocList(_) => "java.util.ArrayList",
            V::Array(_) => "[Ljava.lang.Object;",
            V::Map(_) | V::DocMap(_) => "java.util.HashMap",
            V::Set(_) => "java.util.HashSet",
            V::View(_, ViewKind::Keys) => "java.util.HashMap$KeySet",
            V::View(_, ViewKind::Values) => "java.util.HashMap$Values",
            V::View(_, ViewKind::Entries) => "java.util.HashMap$EntrySet",
            V::Obj(o) => match &**o {
                Obj::Builder(_) => "java.lang.StringBuilder",
                Obj::Entry(..) => "java.util.HashMap$Node",
                Obj::Pattern(_) => "java.util.regex.Pattern",
                Obj::Matcher(_) => "java.util.regex.Matcher",
                Obj::Iter(_) => "java.util.Iterator",
                Obj::Func(_) => "java.util.function.Function",
                Obj::Tokenizer(_) => "java.util.StringTokenizer",
                Obj::Cidr(..) => "org.elasticsearch.common.network.CIDR",
                Obj::Exception(c, _) => super::builtins::exception_java_name(c),
                Obj::Stream(_) => "java.util.stream.ReferencePipeline",
                Obj::Collector(_) => "java.util.stream.Collectors$CollectorImpl",
                Obj::Metadata(..) => "org.elasticsearch.script.Metadata",
                Obj::Field(..) => "org.elasticsearch.script.field.WriteField",
                Obj::Time(t) => t.class_name(),
            },
        }
    }

    /// Java `String.valueOf(this)`.
    pub fn to_java_string(&self) -> String {
        let mut out = String::new();
        self.write_string(&mut out, 0);
        out
    }

    fn write_string(&self, out: &mut String, depth: usize) {
        if depth > 50 {
            out.push_str("(this Collection)");
            return;
        }
        match self {
            V::Null => out.push_str("null"),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Byte(b) => out.push_str(&b.to_string()),
            V::Short(s) => out.push_str(&s.to_string()),
            V::Char(c) => out.push_str(&String::from_utf16_lossy(&[*c])),
            V::Int(i) => out.push_str(&i.to_string()),
            V::Long(l) => out.push_str(&l.to_string()),
            V::Float(f) => out.push_str(&java_float_to_string(*f)),
            V::Double(d) => out.push_str(&java_double_to_string(*d)),
            V::Str(s) => out.push_str(s),
            V::List(_) | V::DocList(_) | V::Set(_) | V::View(..) => {
                out.push('[');
                for (i, v) in self.items().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write_string(out, depth + 1);
                }
                out.push(']');
            }
            V::Array(l) => out.push_str(&format!(
                "[Ljava.lang.Object;@{:x}",
                Rc::as_ptr(l) as usize & 0xffffff
            )),
            V::Map(_) | V::DocMap(_) => {
                out.push('{');
                for (i, (k, v)) in self.map_entries().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_string(out, depth + 1);
                    out.push('=');
                    v.write_string(out, depth + 1);
                }
                out.push('}');
            }
            V::Obj(o) => match &**o {
                Obj::Builder(b) => out.push_str(&b.borrow()),
                Obj::Entry(k, v, _) => {
                    k.write_string(out, depth + 1);
                    out.push('=');
                    v.borrow().write_string(out, depth + 1);
                }
                Obj::Pattern(p) => out.push_str(&p.source),
                Obj::Cidr(a, p) => out.push_str(&format!("{a}/{p}")),
                Obj::Time(t) => out.push_str(&t.to_java_string()),
                Obj::Exception(c, m) => {
                    out.push_str(super::builtins::exception_java_name(c));
                    if let Some(m) = m {
                        out.push_str(": ");
                        out.push_str(m);
                    }
                }
                _ => out.push_str(self.class_name()),
            },
        }
    }

    /// Converts back to a document value; fails on reference cycles.
    pub fn to_value(&self) -> Result<Value, String> {
        let mut stack = Vec::new();
        self.to_value_in(&mut stack)
    }

    /// As [`V::to_value`], for a value held by the container whose address is `parent`
    /// (cycles back to it and the depth limit count as if converting from the container).
    pub fn to_value_under(&self, parent: usize) -> Result<Value, String> {
        let mut stack = conversion_stack(parent);
        self.to_value_in(&mut stack)
    }

    /// As [`V::to_value_under`], compared with `orig`, the document value it was converted
    /// from: the parts still equal to it are reused by [`Plan::apply`] instead of rebuilt.
    pub fn plan_under(&self, parent: usize, orig: &Value) -> Result<Plan, String> {
        let mut stack = conversion_stack(parent);
        self.plan_in(orig, &mut stack)
    }

    /// As [`V::plan_general`]; a scalar equal to its original is decided here without a call,
    /// as it decides it (most values of a converted document are unchanged scalars).
    #[inline(always)]
    fn plan_in(&self, orig: &Value, stack: &mut Vec<usize>) -> Result<Plan, String> {
        if unchanged_scalar(self, orig) {
            return Ok(Plan::Keep);
        }
        self.plan_general(orig, stack)
    }

    fn plan_general(&self, orig: &Value, stack: &mut Vec<usize>) -> Result<Plan, String> {
        let same = match (self, orig) {
            (V::Null, Value::Null) => true,
            (V::Bool(a), Value::Bool(b)) => a == b,
            (V::Int(a), Value::Int(b)) => a == b,
            (V::Long(a), Value::Long(b)) => a == b,
            (V::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (V::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            (V::Str(a), Value::String(b)) => same_text(a, b),
            (V::Map(m), Value::Map(o)) if m.borrow().keys().all(|k| matches!(k.0, V::Str(_))) => {
                guard(Rc::as_ptr(m) as usize, stack)?;
                let mb = m.borrow();
                let mut same = mb.len() == o.len();
                // Leading entries unchanged at their index are only counted until an entry
                // differs (an unchanged map allocates nothing).
                let mut entries = Vec::new();
                let mut leading = 0;
                // Where the next key is expected in `o`: after the last one found (entries the
                // script removed only shift the others).
                let mut next = 0;
                let flush = |entries: &mut Vec<PlanEntry>, leading: &mut usize| {
                    if entries.is_empty() && *leading > 0 {
                        entries.reserve(mb.len());
                        entries.extend((0..*leading).map(|x| PlanEntry::Orig(x, Plan::Keep)));
                        *leading = 0;
                    }
                };
                for (i, (k, v)) in mb.iter().enumerate() {
                    let V::Str(key) = &k.0 else {
                        continue;
                    };
                    let at = match o.get_index(next) {
                        Some((ok, _)) if same_text(key, ok) => Some(next),
                        _ => o.get_index_of(&**key),
                    };
                    match at {
                        Some(j) => {
                            next = j + 1;
                            // `j` was found in `o` just above.
                            let x = &o[j];
                            // As below for an unchanged scalar, without making its plan.
                            if j == i && entries.is_empty() && unchanged_scalar(v, x) {
                                leading += 1;
                                continue;
                            }
                            let p = v.plan_in(x, stack)?;
                            let unchanged = j == i && matches!(p, Plan::Keep);
                            if unchanged && entries.is_empty() {
                                leading += 1;
                                continue;
                            }
                            flush(&mut entries, &mut leading);
                            same &= unchanged;
                            entries.push(PlanEntry::Orig(j, p));
                        }
                        None => {
                            flush(&mut entries, &mut leading);
                            same = false;
                            entries.push(PlanEntry::New(key.to_string(), v.to_value_in(stack)?));
                        }
                    }
                }
                stack.pop();
                if same {
                    return Ok(Plan::Keep);
                }
                flush(&mut entries, &mut leading);
                return Ok(Plan::Map(entries));
            }
            (V::List(l), Value::List(o)) => {
                guard(Rc::as_ptr(l) as usize, stack)?;
                let lb = l.borrow();
                let mut same = lb.len() == o.len();
                let mut items = Vec::with_capacity(lb.len());
                for (i, v) in lb.iter().enumerate() {
                    let p = match o.get(i) {
                        Some(x) => v.plan_in(x, stack)?,
                        None => Plan::New(v.to_value_in(stack)?),
                    };
                    same &= matches!(p, Plan::Keep);
                    items.push(p);
                }
                stack.pop();
                if same {
                    return Ok(Plan::Keep);
                }
                return Ok(Plan::List(items));
            }
            _ => false,
        };
        Ok(if same {
            Plan::Keep
        } else {
            Plan::New(self.to_value_in(stack)?)
        })
    }

    fn to_value_in(&self, stack: &mut Vec<usize>) -> Result<Value, String> {
        Ok(match self {
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Byte(b) => Value::Int(*b as i32),
            V::Short(s) => Value::Int(*s as i32),
            V::Char(_) => Value::String(self.to_java_string()),
            V::Int(i) => Value::Int(*i),
            V::Long(l) => Value::Long(*l),
            V::Float(f) => Value::Float(*f),
            V::Double(d) => Value::Double(*d),
            V::Str(s) => Value::String(s.to_string()),
            V::Array(l) if !kept_array(&l.borrow()) => {
                return Err(format!(
                    "unexpected value type [class {}]",
                    array_class(&l.borrow())
                ));
            }
            V::List(l) | V::Array(l) => {
                guard(Rc::as_ptr(l) as usize, stack)?;
                let r = l
                    .borrow()
                    .iter()
                    .map(|v| v.to_value_in(stack))
                    .collect::<Result<Vec<_>, _>>()?;
                stack.pop();
                Value::List(r)
            }
            V::Set(s) => {
                guard(Rc::as_ptr(s) as usize, stack)?;
                let r = self
                    .items()
                    .iter()
                    .map(|v| v.to_value_in(stack))
                    .collect::<Result<Vec<_>, _>>()?;
                stack.pop();
                Value::List(r)
            }
            V::Map(m) => {
                guard(Rc::as_ptr(m) as usize, stack)?;
                let mut out = Map::with_capacity_and_hasher(m.borrow().len(), Default::default());
                for (k, v) in m.borrow().iter() {
                    let key = match &k.0 {
                        V::Str(s) => s.to_string(),
                        other => other.to_java_string(),
                    };
                    out.insert(key, v.to_value_in(stack)?);
                }
                stack.pop();
                Value::Map(out)
            }
            V::View(m, _) => {
                guard(Rc::as_ptr(m) as usize, stack)?;
                let r = self
                    .items()
                    .iter()
                    .map(|v| v.to_value_in(stack))
                    .collect::<Result<Vec<_>, _>>()?;
                stack.pop();
                Value::List(r)
            }
            V::DocMap(m) => Value::Map((*m).clone()),
            V::DocList(l) => Value::List(l.to_vec()),
            V::Obj(o) => match &**o {
                Obj::Entry(k, v, _) => {
                    let mut m = Map::default();
                    m.insert(k.to_java_string(), v.borrow().to_value_in(stack)?);
                    Value::Map(m)
                }
                Obj::Time(t) => Value::String(t.to_doc_string()),
                Obj::Stream(items) => Value::List(
                    items
                        .iter()
                        .map(|v| v.to_value_in(stack))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                _ => Value::String(self.to_java_string()),
            },
        })
    }
}

/// True when `v` is a null, boolean, number or string equal to the document value `orig` it
/// is compared with by [`V::plan_in`] (which keeps such a value).
#[inline]
fn unchanged_scalar(v: &V<'_>, orig: &Value) -> bool {
    match (v, orig) {
        (V::Str(a), Value::String(b)) => same_text(a, b),
        (V::Int(a), Value::Int(b)) => a == b,
        (V::Long(a), Value::Long(b)) => a == b,
        (V::Bool(a), Value::Bool(b)) => a == b,
        (V::Null, Value::Null) => true,
        (V::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
        (V::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
        _ => false,
    }
}

/// Text equality, without reading the bytes when both are the same slice (a string the script
/// was lent by the document, compared with that document string).
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    (std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()) || a == b
}

/// True for the arrays `IngestDocument.deepCopy` accepts (`byte[]`, `double[]`): any other Java
/// array in ctx makes `_simulate` fail the document when it copies the result.
fn kept_array(items: &[V<'_>]) -> bool {
    !items.is_empty()
        && (items.iter().all(|v| matches!(v, V::Byte(_)))
            || items.iter().all(|v| matches!(v, V::Double(_))))
}

/// The JVM class name of an array, from its elements (the element type is not tracked).
pub fn array_class(items: &[V<'_>]) -> &'static str {
    match items.iter().find(|v| !v.is_null()) {
        Some(V::Str(_)) => "[Ljava.lang.String;",
        Some(V::Char(_)) => "[C",
        Some(V::Int(_)) => "[I",
        Some(V::Long(_)) => "[J",
        Some(V::Bool(_)) => "[Z",
        Some(V::Short(_)) => "[S",
        Some(V::Float(_)) => "[F",
        _ => "[Ljava.lang.Object;",
    }
}

/// How to build a converted value from the document value it came from (see [`V::plan_under`]).
#[derive(Debug)]
pub enum Plan {
    /// The original value, unchanged.
    Keep,
    /// A new value.
    New(Value),
    /// A map of these entries, in order.
    Map(Vec<PlanEntry>),
    /// A list of these items, in order; item `i` is built from the original's item `i`.
    List(Vec<Plan>),
}

/// One entry of [`Plan::Map`].
#[derive(Debug)]
pub enum PlanEntry {
    /// The original map's entry at this index (its key), built by the plan.
    Orig(usize, Plan),
    /// A new entry.
    New(String, Value),
}

impl Plan {
    /// Builds the value from the original value the plan was made against.
    pub fn apply(self, orig: Value) -> Value {
        let mut v = orig;
        self.apply_to(&mut v);
        v
    }

    /// Turns `v`, the original value the plan was made against, into the planned value: in
    /// place when the plan keeps the original entries' order (entries dropped, changed, or
    /// appended), else by rebuilding the map.
    pub fn apply_to(self, v: &mut Value) {
        match (self, v) {
            (Plan::Keep, _) => {}
            (Plan::New(n), v) => *v = n,
            (Plan::Map(entries), Value::Map(o)) => {
                if !in_original_order(&entries) {
                    let orig = std::mem::take(o);
                    *o = rebuild_map(entries, orig);
                    return;
                }
                let mut kept = vec![false; o.len()];
                for e in entries {
                    match e {
                        PlanEntry::Orig(j, Plan::Keep) => {
                            if let Some(k) = kept.get_mut(j) {
                                *k = true;
                            }
                        }
                        PlanEntry::Orig(j, p) => {
                            if let (Some(k), Some((_, x))) = (kept.get_mut(j), o.get_index_mut(j)) {
                                *k = true;
                                p.apply_to(x);
                            }
                        }
                        PlanEntry::New(k, x) => {
                            // A new key is not among the original ones, so it is appended
                            // (after the kept entries, as when rebuilt).
                            o.insert(k, x);
                            kept.push(true);
                        }
                    }
                }
                if kept.contains(&false) {
                    let mut keep = kept.into_iter();
                    o.retain(|_, _| keep.next().unwrap_or(true));
                }
            }
            (Plan::List(items), Value::List(o)) => {
                o.truncate(items.len());
                for (i, p) in items.into_iter().enumerate() {
                    match o.get_mut(i) {
                        Some(_) if matches!(p, Plan::Keep) => {}
                        Some(x) => p.apply_to(x),
                        None => o.push(p.apply(Value::default())),
                    }
                }
            }
            // Plans are only made against values of their shape.
            _ => {}
        }
    }
}

/// True when a map plan keeps its original entries in their order, new ones after them.
fn in_original_order(entries: &[PlanEntry]) -> bool {
    let mut last: Option<usize> = None;
    let mut new_seen = false;
    for e in entries {
        match e {
            PlanEntry::Orig(j, _) => {
                if new_seen || last.is_some_and(|l| *j <= l) {
                    return false;
                }
                last = Some(*j);
            }
            PlanEntry::New(..) => new_seen = true,
        }
    }
    true
}

/// A map built entry by entry from a plan and the original map.
fn rebuild_map(entries: Vec<PlanEntry>, orig: Map) -> Map {
    let mut slots: Vec<Option<(String, Value)>> = orig.into_iter().map(Some).collect();
    let mut out = Map::with_capacity_and_hasher(entries.len(), Default::default());
    for e in entries {
        match e {
            PlanEntry::Orig(j, p) => {
                if let Some((k, v)) = slots.get_mut(j).and_then(Option::take) {
                    out.insert(k, p.apply(v));
                }
            }
            PlanEntry::New(k, v) => {
                out.insert(k, v);
            }
        }
    }
    out
}

/// A document value as an interpreter value: containers stay borrowed (read-only).
pub fn from_doc(v: &Value) -> V<'_> {
    match v {
        Value::String(s) => V::Str(JStr::Lent(s)),
        Value::List(l) => V::DocList(l),
        Value::Map(m) => V::DocMap(m),
        other => scalar(other),
    }
}

/// A null, boolean or number as an interpreter value (`Null` for anything else).
#[inline]
fn scalar<'a>(v: &Value) -> V<'a> {
    match v {
        Value::Bool(b) => V::Bool(*b),
        Value::Int(i) => V::Int(*i),
        Value::Long(l) => V::Long(*l),
        Value::Float(f) => V::Float(*f),
        Value::Double(d) => V::Double(*d),
        Value::Null | Value::String(_) | Value::List(_) | Value::Map(_) => V::Null,
    }
}

/// `java_equals(&from_doc(x), v)` without copying a document string.
pub fn doc_java_equals<'a>(x: &'a Value, v: &V<'a>) -> bool {
    match (x, v) {
        (Value::String(a), V::Str(b)) => **a == **b,
        (Value::String(_), _) => false,
        _ => java_equals(&from_doc(x), v),
    }
}

/// True when `v` is a borrowed map or list that is `root` or lies inside it.
pub fn doc_within(root: &Map, v: &V<'_>) -> bool {
    fn in_value(x: &Value, v: &V<'_>) -> bool {
        match x {
            Value::Map(m) => doc_within(m, v),
            Value::List(l) => {
                matches!(v, V::DocList(y) if std::ptr::eq(l.as_slice(), *y))
                    || l.iter().any(|e| in_value(e, v))
            }
            _ => false,
        }
    }
    matches!(v, V::DocMap(y) if std::ptr::eq(root, *y)) || root.values().any(|x| in_value(x, v))
}

/// A document value copied into shared mutable containers (scripts).
pub fn from_value(v: &Value) -> V<'_> {
    match v {
        Value::List(l) => V::new_list(l.iter().map(item_from_value).collect()),
        Value::Map(m) => V::new_map(map_from_value(m)),
        Value::String(s) => V::Str(JStr::Lent(s)),
        other => scalar(other),
    }
}

/// [`from_value`] for an entry or item of a container: strings and scalars (most of them) are
/// converted here, without a call.
#[inline(always)]
fn item_from_value(v: &Value) -> V<'_> {
    match v {
        Value::String(s) => V::Str(JStr::Lent(s)),
        Value::List(_) | Value::Map(_) => from_value(v),
        other => scalar(other),
    }
}

/// A value made by the script from a document value that does not outlive it: strings are
/// copied.
pub fn copy_value<'a>(v: &Value) -> V<'a> {
    match v {
        Value::List(l) => V::new_list(l.iter().map(copy_value).collect()),
        Value::Map(m) => V::new_map(m.iter().map(|(k, v)| (K::str(k), copy_value(v))).collect()),
        Value::String(s) => V::str(s),
        other => scalar(other),
    }
}

/// The stack of collections being converted, holding `parent`, with room for a few nesting levels
/// (so entering them does not grow it).
fn conversion_stack(parent: usize) -> Vec<usize> {
    let mut stack = Vec::with_capacity(16);
    stack.push(parent);
    stack
}

/// Enters the collection at address `p` while converting back to document values: a
/// collection inside itself, or nesting past 200 levels, is Java's self-reference error.
fn guard(p: usize, stack: &mut Vec<usize>) -> Result<(), String> {
    if stack.contains(&p) || stack.len() > 200 {
        Err("Iterable object is self-referencing itself".to_string())
    } else {
        stack.push(p);
        Ok(())
    }
}

/// A document map copied into an interpreter map.
pub fn map_from_value(m: &Map) -> IndexMap<K<'_>, V<'_>, HashState> {
    use indexmap::map::{RawEntryApiV1, raw_entry_v1::RawEntryMut};
    use std::hash::BuildHasher;
    let mut out = IndexMap::with_capacity_and_hasher(m.len(), HashState::default());
    for (k, v) in m {
        // A string key hashes as its text (see `K`'s `Hash`), and the keys of a document map
        // are distinct texts: none is already in `out`, so the search for it is skipped (no
        // entry matches `|_| false`: the entry found is always vacant).
        let hash = out.hasher().hash_one(k.as_str());
        if let RawEntryMut::Vacant(e) = out.raw_entry_mut_v1().from_hash(hash, |_| false) {
            e.insert_hashed_nocheck(hash, K(V::Str(JStr::Lent(k))), item_from_value(v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        Value::from_json_str(text).expect("valid JSON")
    }

    /// The map a converted document value holds.
    fn map<'a>(v: &V<'a>) -> MapRef<'a> {
        match v {
            V::Map(m) => m.clone(),
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn converted_maps_find_every_key_in_document_order() {
        let orig = json(r#"{"b":1,"a":{"x":"1","y":[2,"z"]},"":null,"é":"e"}"#);
        let Value::Map(m) = &orig else { unreachable!() };
        let got = map_from_value(m);
        let keys: Vec<String> = got.keys().map(|k| k.0.to_java_string()).collect();
        assert_eq!(keys, ["b", "a", "", "é"]);
        for k in m.keys() {
            assert!(got.contains_key(&K::str(k)), "{k}");
            assert!(got.contains_key(&StrKey(k)), "{k}");
        }
        assert!(!got.contains_key(&K::str("c")));
        assert_eq!(
            V::new_map(got).to_value().map(|v| v.to_json()),
            Ok(orig.to_json())
        );
    }

    #[test]
    fn the_scalar_shortcut_keeps_exactly_what_the_general_plan_keeps() {
        let docs: Vec<Value> = [
            "null",
            "true",
            "false",
            "1",
            "2",
            "5000000000",
            "1.5",
            "0.0",
            "-0.0",
            "\"a\"",
            "\"\"",
            "\"ab\"",
            "[1]",
            "{\"a\":1}",
        ]
        .iter()
        .map(|t| json(t))
        .chain([
            Value::Long(1),
            Value::Long(2),
            Value::Float(1.5),
            Value::Double(f64::NAN),
        ])
        .collect();
        let lent: Vec<V<'_>> = docs.iter().map(from_doc).collect();
        let made = [
            V::Null,
            V::Bool(true),
            V::Bool(false),
            V::Byte(1),
            V::Short(1),
            V::Char(b'a' as u16),
            V::Int(1),
            V::Int(2),
            V::Long(1),
            V::Long(5_000_000_000),
            V::Float(1.5),
            V::Double(1.5),
            V::Double(0.0),
            V::Double(-0.0),
            V::Double(f64::NAN),
            V::str("a"),
            V::str(""),
            V::str("ab"),
        ];
        let mut kept = 0;
        for v in lent.iter().chain(made.iter()) {
            for o in &docs {
                let fast = unchanged_scalar(v, o);
                let general = matches!(v.plan_general(o, &mut conversion_stack(0)), Ok(Plan::Keep));
                if fast || !matches!(v, V::DocMap(_) | V::DocList(_)) {
                    assert_eq!(fast, general, "{v:?} against {}", o.to_json());
                }
                kept += usize::from(fast);
            }
        }
        // Lent strings and equal scalars, made or lent.
        assert!(kept > 20, "{kept}");
    }

    #[test]
    fn lent_and_copied_text_compare_by_content() {
        let doc = String::from("text");
        assert!(same_text(&doc, &doc));
        assert!(same_text(&doc, "text"));
        assert!(!same_text(&doc[..2], &doc));
        assert!(!same_text(&doc, "texT"));
        assert!(same_text("", &doc[4..]));
    }

    #[test]
    fn plans_rebuild_the_converted_value() {
        let text = r#"{"a":"x","b":{"c":null,"d":"","e":[1,"",{"f":""}],"g":"k"},"g":2,"h":"y"}"#;
        let orig = json(text);
        type Change = fn(&V<'_>);
        let changes: [(&str, Change); 10] = [
            ("nothing", |_| {}),
            ("remove a", |v| {
                map(v).borrow_mut().shift_remove(&K::str("a"));
            }),
            ("remove b.c and b.d", |v| {
                let b = map(v).borrow()[&K::str("b")].clone();
                map(&b)
                    .borrow_mut()
                    .retain(|k, _| !matches!(&k.0, V::Str(s) if **s != *"e" && **s != *"g"));
            }),
            ("add z", |v| {
                map(v).borrow_mut().insert(K::str("z"), V::Int(1));
            }),
            ("g becomes a long", |v| {
                map(v).borrow_mut().insert(K::str("g"), V::Long(2));
            }),
            ("h is copied", |v| {
                map(v).borrow_mut().insert(K::str("h"), V::str("y"));
            }),
            ("a moves last", |v| {
                let m = map(v);
                let a = m
                    .borrow_mut()
                    .shift_remove(&K::str("a"))
                    .unwrap_or_default();
                m.borrow_mut().insert(K::str("a"), a);
            }),
            ("b.e loses an item", |v| {
                let b = map(v).borrow()[&K::str("b")].clone();
                if let V::List(l) = &map(&b).borrow()[&K::str("e")] {
                    l.borrow_mut().remove(1);
                }
            }),
            ("b.e.2 loses f", |v| {
                let b = map(v).borrow()[&K::str("b")].clone();
                if let V::List(l) = &map(&b).borrow()[&K::str("e")] {
                    map(&l.borrow()[2]).borrow_mut().clear();
                }
            }),
            ("swap g and h", |v| {
                let m = map(v);
                m.borrow_mut().swap_indices(2, 3);
            }),
        ];
        for (what, change) in changes {
            let v = from_value(&orig);
            change(&v);
            let want = v.to_value().expect("no cycle");
            let plan = v.plan_under(0, &orig).expect("no cycle");
            if what == "nothing" || what == "h is copied" {
                assert!(matches!(plan, Plan::Keep), "{what}: {plan:?}");
            }
            let got = plan.apply(orig.clone());
            assert_eq!(got.to_json(), want.to_json(), "{what}");
            assert!(got == want, "{what}");
            let unchanged = what == "nothing" || what == "h is copied";
            assert_eq!(got == orig && got.to_json() == text, unchanged, "{what}");
        }
    }
}
