//! The whitelisted Java API: classes, constructors, methods, static methods and fields.

use super::ast::Ty;
use super::budget;
use super::interp::{Exc, Interp, Res, as_f64, as_i64, convert, get_field, read_only};
use super::regex::JavaRegex;
use super::value::{Collector, JStr, K, Matcher, Obj, V, ViewKind, java_equals};
use indexmap::{IndexMap, IndexSet};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

/// A primitive type name (or `def`).
pub fn primitive(name: &str) -> Option<Ty> {
    Some(match name {
        "def" => Ty::Def,
        "boolean" => Ty::Bool,
        "byte" => Ty::Byte,
        "short" => Ty::Short,
        "char" => Ty::Char,
        "int" => Ty::Int,
        "long" => Ty::Long,
        "float" => Ty::Float,
        "double" => Ty::Double,
        _ => return None,
    })
}

/// (Painless name, Java name) of every class scripts may name.
const CLASSES: &[(&str, &str)] = &[
    ("Object", "java.lang.Object"),
    ("String", "java.lang.String"),
    ("CharSequence", "java.lang.CharSequence"),
    ("Number", "java.lang.Number"),
    ("Integer", "java.lang.Integer"),
    ("Long", "java.lang.Long"),
    ("Double", "java.lang.Double"),
    ("Float", "java.lang.Float"),
    ("Short", "java.lang.Short"),
    ("Byte", "java.lang.Byte"),
    ("Boolean", "java.lang.Boolean"),
    ("Character", "java.lang.Character"),
    ("Math", "java.lang.Math"),
    ("StringBuilder", "java.lang.StringBuilder"),
    ("Iterable", "java.lang.Iterable"),
    ("Comparable", "java.lang.Comparable"),
    ("Collection", "java.util.Collection"),
    ("List", "java.util.List"),
    ("ArrayList", "java.util.ArrayList"),
    ("LinkedList", "java.util.LinkedList"),
    ("Map", "java.util.Map"),
    ("HashMap", "java.util.HashMap"),
    ("LinkedHashMap", "java.util.LinkedHashMap"),
    ("Map.Entry", "java.util.Map$Entry"),
    ("Set", "java.util.Set"),
    ("HashSet", "java.util.HashSet"),
    ("LinkedHashSet", "java.util.LinkedHashSet"),
    ("Iterator", "java.util.Iterator"),
    ("AbstractList", "java.util.AbstractList"),
    ("AbstractMap", "java.util.AbstractMap"),
    ("AbstractSet", "java.util.AbstractSet"),
    ("AbstractCollection", "java.util.AbstractCollection"),
    ("Collections", "java.util.Collections"),
    ("Arrays", "java.util.Arrays"),
    ("Objects", "java.util.Objects"),
    ("StringTokenizer", "java.util.StringTokenizer"),
    ("Pattern", "java.util.regex.Pattern"),
    ("Matcher", "java.util.regex.Matcher"),
    ("Collectors", "java.util.stream.Collectors"),
    ("Stream", "java.util.stream.Stream"),
    ("Function", "java.util.function.Function"),
    ("Predicate", "java.util.function.Predicate"),
    ("CIDR", "org.elasticsearch.common.network.CIDR"),
    ("Processors", "org.elasticsearch.ingest.common.Processors"),
    ("Metadata", "org.elasticsearch.script.Metadata"),
    ("WriteField", "org.elasticsearch.script.field.WriteField"),
    ("Exception", "java.lang.Exception"),
    ("RuntimeException", "java.lang.RuntimeException"),
    (
        "IllegalArgumentException",
        "java.lang.IllegalArgumentException",
    ),
    ("IllegalStateException", "java.lang.IllegalStateException"),
    ("NullPointerException", "java.lang.NullPointerException"),
    ("ClassCastException", "java.lang.ClassCastException"),
    ("NumberFormatException", "java.lang.NumberFormatException"),
    ("ArithmeticException", "java.lang.ArithmeticException"),
    (
        "IndexOutOfBoundsException",
        "java.lang.IndexOutOfBoundsException",
    ),
    (
        "ArrayIndexOutOfBoundsException",
        "java.lang.ArrayIndexOutOfBoundsException",
    ),
    (
        "StringIndexOutOfBoundsException",
        "java.lang.StringIndexOutOfBoundsException",
    ),
    (
        "UnsupportedOperationException",
        "java.lang.UnsupportedOperationException",
    ),
    (
        "NegativeArraySizeException",
        "java.lang.NegativeArraySizeException",
    ),
    ("NoSuchElementException", "java.util.NoSuchElementException"),
    (
        "PatternSyntaxException",
        "java.util.regex.PatternSyntaxException",
    ),
];

/// The canonical Painless class name, if scripts may use it: by its Painless name or its Java
/// name (a nested class also with `.` for `$`).
pub fn class_name(name: &str) -> Option<&'static str> {
    static NAMES: std::sync::LazyLock<HashMap<String, &'static str>> =
        std::sync::LazyLock::new(|| {
            let mut names = HashMap::new();
            // The first class a name reaches wins, as a scan of the tables in order would.
            for (n, j) in CLASSES.iter().chain(super::time::CLASSES) {
                for alias in [n.to_string(), j.to_string(), j.replace('$', ".")] {
                    names.entry(alias).or_insert(*n);
                }
            }
            names
        });
    NAMES.get(name).copied()
}

/// The Java class name of a Painless class.
pub fn class_java_name(c: &str) -> &'static str {
    CLASSES
        .iter()
        .chain(super::time::CLASSES)
        .find(|(n, _)| *n == c)
        .map_or("java.lang.Object", |(_, j)| *j)
}

/// The Java name of an exception class (for messages and `toString`).
pub fn exception_java_name(c: &str) -> &'static str {
    match c {
        "PainlessError" => "org.elasticsearch.painless.PainlessError",
        "StackOverflowError" => "java.lang.StackOverflowError",
        "OutOfMemoryError" => "java.lang.OutOfMemoryError",
        "CircuitBreakingException" => "org.elasticsearch.common.breaker.CircuitBreakingException",
        _ => class_java_name(c),
    }
}

fn exception_parent(c: &str) -> Option<&'static str> {
    if let Some(p) = super::time::exception_parent(c) {
        return Some(p);
    }
    Some(match c {
        "RuntimeException" => "Exception",
        "IllegalArgumentException"
        | "IllegalStateException"
        | "NullPointerException"
        | "ClassCastException"
        | "ArithmeticException"
        | "IndexOutOfBoundsException"
        | "UnsupportedOperationException"
        | "NegativeArraySizeException"
        | "NoSuchElementException" => "RuntimeException",
        "NumberFormatException" | "PatternSyntaxException" => "IllegalArgumentException",
        "ArrayIndexOutOfBoundsException" | "StringIndexOutOfBoundsException" => {
            "IndexOutOfBoundsException"
        }
        _ => return None,
    })
}

/// True for exception classes (`catch` and `new`).
pub fn is_exception_class(c: &str) -> bool {
    c == "Exception" || exception_parent(c).is_some()
}

/// True when an exception of class `thrown` is caught by `catch (caught e)`.
pub fn exception_is_a(thrown: &str, caught: &str) -> bool {
    let mut c = Some(thrown);
    while let Some(x) = c {
        if x == caught {
            return true;
        }
        c = match x {
            // Thrown by the regex limit; a RuntimeException scripts cannot name.
            "CircuitBreakingException" => Some("RuntimeException"),
            _ => exception_parent(x),
        };
    }
    false
}

/// `v instanceof C`.
pub fn is_instance(v: &V<'_>, c: &str) -> bool {
    if v.is_null() {
        return false;
    }
    // Only a java.time object can be an instance of a java.time class (or be Comparable
    // differently): others skip that list.
    if let V::Obj(o) = v
        && let Obj::Time(_) = &**o
        && let Some(b) = super::time::is_instance(v, c)
    {
        return b;
    }
    let obj = |f: fn(&Obj<'_>) -> bool| matches!(v, V::Obj(o) if f(o));
    // The names scripts test most come first (the arms are distinct names: order is speed).
    match c {
        "Map" | "HashMap" | "AbstractMap" => matches!(v, V::Map(_) | V::DocMap(_)),
        "List" | "ArrayList" | "AbstractList" => matches!(v, V::List(_) | V::DocList(_)),
        "String" | "CharSequence" => matches!(v, V::Str(_)),
        "Object" => true,
        "Number" => matches!(
            v,
            V::Int(_) | V::Long(_) | V::Double(_) | V::Float(_) | V::Short(_) | V::Byte(_)
        ),
        "Comparable" => matches!(
            v,
            V::Int(_)
                | V::Long(_)
                | V::Double(_)
                | V::Float(_)
                | V::Short(_)
                | V::Byte(_)
                | V::Str(_)
                | V::Char(_)
                | V::Bool(_)
        ),
        "Integer" => matches!(v, V::Int(_)),
        "Long" => matches!(v, V::Long(_)),
        "Double" => matches!(v, V::Double(_)),
        "Float" => matches!(v, V::Float(_)),
        "Short" => matches!(v, V::Short(_)),
        "Byte" => matches!(v, V::Byte(_)),
        "Boolean" => matches!(v, V::Bool(_)),
        "Character" => matches!(v, V::Char(_)),
        "Iterable" | "Collection" | "AbstractCollection" => v.is_list_like(),
        "Set" | "HashSet" | "AbstractSet" => v.is_set(),
        "Map.Entry" => obj(|o| matches!(o, Obj::Entry(..))),
        "StringBuilder" => obj(|o| matches!(o, Obj::Builder(_))),
        "Pattern" => obj(|o| matches!(o, Obj::Pattern(_))),
        "Matcher" => obj(|o| matches!(o, Obj::Matcher(_))),
        "Iterator" => obj(|o| matches!(o, Obj::Iter(_))),
        "StringTokenizer" => obj(|o| matches!(o, Obj::Tokenizer(_))),
        "CIDR" => obj(|o| matches!(o, Obj::Cidr(..))),
        "Metadata" => obj(|o| matches!(o, Obj::Metadata(..))),
        "WriteField" => obj(|o| matches!(o, Obj::Field(..))),
        "Function" | "Predicate" => obj(|o| matches!(o, Obj::Func(_))),
        "Stream" => obj(|o| matches!(o, Obj::Stream(_))),
        _ if is_exception_class(c) => {
            matches!(v, V::Obj(o) if matches!(&**o, Obj::Exception(t, _) if exception_is_a(t, c)))
        }
        _ => false,
    }
}

/// Instance methods (name, min args, max args) any supported receiver has.
const METHODS: &[(&str, usize, usize)] = &[
    // Object
    ("equals", 1, 1),
    ("hashCode", 0, 0),
    ("toString", 0, 1),
    ("compareTo", 1, 1),
    ("getClass", 0, 0),
    // String
    ("length", 0, 0),
    ("substring", 1, 2),
    ("indexOf", 1, 2),
    ("lastIndexOf", 1, 2),
    ("contains", 1, 1),
    ("startsWith", 1, 2),
    ("endsWith", 1, 1),
    ("toLowerCase", 0, 0),
    ("toUpperCase", 0, 0),
    ("trim", 0, 0),
    ("strip", 0, 0),
    ("isBlank", 0, 0),
    ("replace", 2, 2),
    ("replaceAll", 1, 2),
    ("replaceFirst", 1, 2),
    ("split", 1, 2),
    ("splitOnToken", 1, 2),
    ("equalsIgnoreCase", 1, 1),
    ("compareToIgnoreCase", 1, 1),
    ("isEmpty", 0, 0),
    ("charAt", 1, 1),
    ("concat", 1, 1),
    ("toCharArray", 0, 0),
    ("codePointAt", 1, 1),
    ("repeat", 1, 1),
    ("encodeBase64", 0, 0),
    ("chars", 0, 0),
    ("sha1", 0, 0),
    ("sha256", 0, 0),
    ("clone", 0, 0),
    ("decodeBase64", 0, 0),
    // Numbers
    ("intValue", 0, 0),
    ("longValue", 0, 0),
    ("doubleValue", 0, 0),
    ("floatValue", 0, 0),
    ("shortValue", 0, 0),
    ("byteValue", 0, 0),
    ("booleanValue", 0, 0),
    ("charValue", 0, 0),
    ("isNaN", 0, 0),
    ("isInfinite", 0, 0),
    // Collections
    ("add", 1, 2),
    ("addAll", 1, 2),
    ("get", 1, 1),
    ("set", 2, 2),
    ("remove", 1, 1),
    ("size", 0, 0),
    ("clear", 0, 0),
    ("containsAll", 1, 1),
    ("removeAll", 1, 1),
    ("retainAll", 1, 1),
    ("removeIf", 1, 1),
    ("forEach", 1, 1),
    ("sort", 1, 1),
    ("stream", 0, 0),
    ("iterator", 0, 0),
    ("subList", 2, 2),
    ("toArray", 0, 1),
    ("getLength", 0, 0),
    ("collect", 1, 2),
    ("find", 0, 1),
    ("findAll", 1, 1),
    ("any", 1, 1),
    ("every", 1, 1),
    ("each", 1, 1),
    ("join", 1, 1),
    ("sum", 0, 1),
    ("count", 0, 1),
    ("put", 2, 2),
    ("putAll", 1, 1),
    ("putIfAbsent", 2, 2),
    ("containsKey", 1, 1),
    ("containsValue", 1, 1),
    ("keySet", 0, 0),
    ("values", 0, 0),
    ("entrySet", 0, 0),
    ("getOrDefault", 2, 2),
    ("computeIfAbsent", 2, 2),
    ("computeIfPresent", 2, 2),
    ("compute", 2, 2),
    ("merge", 3, 3),
    ("getKey", 0, 0),
    ("getValue", 0, 0),
    ("setValue", 1, 1),
    ("hasNext", 0, 0),
    ("next", 0, 0),
    ("remove", 0, 0),
    ("getByPath", 1, 2),
    // StringBuilder
    ("append", 1, 1),
    ("insert", 2, 2),
    ("reverse", 0, 0),
    ("setLength", 1, 1),
    ("deleteCharAt", 1, 1),
    ("delete", 2, 2),
    // Regex
    ("matcher", 1, 1),
    ("matches", 0, 0),
    ("group", 0, 1),
    ("namedGroup", 1, 1),
    ("groupCount", 0, 0),
    ("start", 0, 1),
    ("end", 0, 1),
    ("pattern", 0, 0),
    // StringTokenizer
    ("hasMoreTokens", 0, 0),
    ("nextToken", 0, 0),
    ("countTokens", 0, 0),
    ("hasMoreElements", 0, 0),
    ("nextElement", 0, 0),
    // Exceptions
    ("getMessage", 0, 0),
    ("getLocalizedMessage", 0, 0),
    // Streams
    ("filter", 1, 1),
    ("map", 1, 1),
    ("distinct", 0, 0),
    ("sorted", 0, 1),
    ("anyMatch", 1, 1),
    ("allMatch", 1, 1),
    ("noneMatch", 1, 1),
    ("limit", 1, 1),
    ("skip", 1, 1),
    ("flatMap", 1, 1),
    ("toList", 0, 0),
    // Functional interfaces
    ("apply", 1, 2),
    ("test", 1, 2),
    ("accept", 1, 2),
    ("compare", 2, 2),
];

/// True when some supported receiver has `name` with `argc` arguments.
pub fn is_known_method(name: &str, argc: usize) -> bool {
    METHODS
        .iter()
        .any(|(n, lo, hi)| *n == name && (*lo..=*hi).contains(&argc))
        || super::time::is_method(name, argc)
}

const STATICS: &[(&str, &str, usize, usize)] = &[
    ("Math", "abs", 1, 1),
    ("Math", "max", 2, 2),
    ("Math", "min", 2, 2),
    ("Math", "round", 1, 1),
    ("Math", "floor", 1, 1),
    ("Math", "ceil", 1, 1),
    ("Math", "pow", 2, 2),
    ("Math", "sqrt", 1, 1),
    ("Math", "log", 1, 1),
    ("Math", "log10", 1, 1),
    ("Math", "exp", 1, 1),
    ("Math", "signum", 1, 1),
    ("Math", "floorDiv", 2, 2),
    ("Math", "floorMod", 2, 2),
    ("Integer", "parseInt", 1, 2),
    ("Integer", "valueOf", 1, 2),
    ("Integer", "toString", 1, 2),
    ("Integer", "toHexString", 1, 1),
    ("Integer", "toBinaryString", 1, 1),
    ("Integer", "toOctalString", 1, 1),
    ("Integer", "compare", 2, 2),
    ("Integer", "signum", 1, 1),
    ("Long", "parseLong", 1, 2),
    ("Long", "valueOf", 1, 2),
    ("Long", "toString", 1, 2),
    ("Long", "decode", 1, 1),
    ("Long", "toHexString", 1, 1),
    ("Long", "toBinaryString", 1, 1),
    ("Long", "compare", 2, 2),
    ("Integer", "decode", 1, 1),
    ("Double", "parseDouble", 1, 1),
    ("Double", "valueOf", 1, 1),
    ("Double", "toString", 1, 1),
    ("Double", "isNaN", 1, 1),
    ("Double", "isInfinite", 1, 1),
    ("Double", "compare", 2, 2),
    ("Float", "parseFloat", 1, 1),
    ("Float", "valueOf", 1, 1),
    ("Float", "toString", 1, 1),
    ("Float", "isNaN", 1, 1),
    ("Boolean", "parseBoolean", 1, 1),
    ("Boolean", "valueOf", 1, 1),
    ("Boolean", "toString", 1, 1),
    ("String", "valueOf", 1, 1),
    ("String", "join", 2, 2),
    ("String", "format", 1, 2),
    ("Stream", "of", 1, 1),
    ("Character", "isWhitespace", 1, 1),
    ("Character", "isDigit", 1, 1),
    ("Character", "isLetter", 1, 1),
    ("Character", "isLetterOrDigit", 1, 1),
    ("Character", "isAlphabetic", 1, 1),
    ("Character", "isUpperCase", 1, 1),
    ("Character", "isLowerCase", 1, 1),
    ("Character", "isSpaceChar", 1, 1),
    ("Character", "toUpperCase", 1, 1),
    ("Character", "toLowerCase", 1, 1),
    ("Character", "toString", 1, 1),
    ("Character", "valueOf", 1, 1),
    ("Character", "digit", 2, 2),
    ("Character", "compare", 2, 2),
    ("Character", "getNumericValue", 1, 1),
    ("Collections", "sort", 1, 2),
    ("Collections", "reverse", 1, 1),
    ("Collections", "emptyList", 0, 0),
    ("Collections", "emptyMap", 0, 0),
    ("Collections", "emptySet", 0, 0),
    ("Collections", "singletonList", 1, 1),
    ("Collections", "singleton", 1, 1),
    ("Collections", "singletonMap", 2, 2),
    ("Collections", "max", 1, 1),
    ("Collections", "min", 1, 1),
    ("Collections", "nCopies", 2, 2),
    ("Collections", "frequency", 2, 2),
    ("Collections", "unmodifiableList", 1, 1),
    ("Collections", "unmodifiableMap", 1, 1),
    ("Collections", "unmodifiableSet", 1, 1),
    ("Arrays", "asList", 1, 1),
    ("Arrays", "toString", 1, 1),
    ("Objects", "equals", 2, 2),
    ("Objects", "isNull", 1, 1),
    ("Objects", "nonNull", 1, 1),
    ("Objects", "toString", 1, 2),
    ("Objects", "requireNonNull", 1, 2),
    ("Objects", "requireNonNullElse", 2, 2),
    ("Collectors", "toList", 0, 0),
    ("Collectors", "toSet", 0, 0),
    ("Collectors", "joining", 0, 3),
    ("Collectors", "toMap", 2, 2),
    ("Processors", "lowercase", 1, 1),
    ("Processors", "uppercase", 1, 1),
    ("Processors", "json", 1, 2),
    ("Processors", "urlDecode", 1, 1),
    ("Processors", "bytes", 1, 1),
    ("Processors", "communityId", 8, 9),
    ("Processors", "uriParts", 1, 1),
];

/// True when `Class.name(argc args)` is supported.
pub fn is_known_static(class: &str, name: &str, argc: usize) -> bool {
    STATICS
        .iter()
        .any(|(c, n, lo, hi)| *c == class && *n == name && (*lo..=*hi).contains(&argc))
        || super::time::is_static(class, name, argc)
}

/// True when `Class.NAME` is supported.
pub fn is_known_static_field(class: &str, name: &str) -> bool {
    static_field(class, name).is_ok()
}

/// True when `new Class(argc args)` is supported.
pub fn is_known_constructor(class: &str, argc: usize) -> bool {
    match class {
        "ArrayList" | "HashMap" | "HashSet" | "LinkedHashMap" | "LinkedHashSet" | "LinkedList"
        | "StringBuilder" => argc <= 1,
        "StringTokenizer" => (1..=2).contains(&argc),
        "CIDR" => argc == 1,
        c if is_exception_class(c) => argc <= 1,
        _ => false,
    }
}

/// Functions callable without a receiver besides the script's own.
pub fn is_global_function(name: &str) -> bool {
    super::ingest::is_global_function(name)
}

/// `Class.NAME`.
pub fn static_field<'a>(class: &str, name: &str) -> Res<V<'a>> {
    if let Some(t) = super::time::static_field(class, name) {
        return Ok(super::time::tv(t));
    }
    Ok(match (class, name) {
        ("Integer", "MAX_VALUE") => V::Int(i32::MAX),
        ("Integer", "MIN_VALUE") => V::Int(i32::MIN),
        ("Long", "MAX_VALUE") => V::Long(i64::MAX),
        ("Long", "MIN_VALUE") => V::Long(i64::MIN),
        ("Double", "MAX_VALUE") => V::Double(f64::MAX),
        ("Double", "MIN_VALUE") => V::Double(f64::from_bits(1)),
        ("Double", "NaN") => V::Double(f64::NAN),
        ("Double", "POSITIVE_INFINITY") => V::Double(f64::INFINITY),
        ("Double", "NEGATIVE_INFINITY") => V::Double(f64::NEG_INFINITY),
        ("Float", "MAX_VALUE") => V::Float(f32::MAX),
        ("Float", "NaN") => V::Float(f32::NAN),
        ("Math", "PI") => V::Double(std::f64::consts::PI),
        ("Math", "E") => V::Double(std::f64::consts::E),
        ("Collections", "EMPTY_LIST") => V::new_list(vec![]),
        ("Collections", "EMPTY_MAP") => V::new_map(IndexMap::default()),
        _ => return Err(Exc::iae(format!("static field [{class}.{name}] not found"))),
    })
}

// ---------- helpers ----------

fn arg<'a>(args: &[V<'a>], i: usize) -> V<'a> {
    args.get(i).cloned().unwrap_or_default()
}

fn want_str<'a>(v: &V<'a>, what: &str) -> Res<JStr<'a>> {
    match v {
        V::Str(s) => Ok(s.clone()),
        V::Null => Err(Exc::npe(format!(
            "Cannot invoke \"String.{what}\" because the argument is null"
        ))),
        other => Err(Exc::cce(format!(
            "Cannot cast {} to java.lang.String",
            other.class_name()
        ))),
    }
}

fn want_int(v: &V<'_>) -> Res<i32> {
    match convert(v.clone(), &Ty::Int, false)? {
        V::Int(i) => Ok(i),
        _ => Err(Exc::cce(format!("Cannot cast {} to int", v.class_name()))),
    }
}

fn want_long(v: &V<'_>) -> Res<i64> {
    match convert(v.clone(), &Ty::Long, false)? {
        V::Long(i) => Ok(i),
        _ => Err(Exc::cce(format!("Cannot cast {} to long", v.class_name()))),
    }
}

fn want_double(v: &V<'_>) -> Res<f64> {
    as_f64(v).ok_or_else(|| {
        if v.is_null() {
            Exc::npe("Cannot unbox null value to double")
        } else {
            Exc::cce(format!("Cannot cast {} to double", v.class_name()))
        }
    })
}

fn want_bool(v: &V<'_>) -> Res<bool> {
    match v {
        V::Bool(b) => Ok(*b),
        other => Err(Exc::cce(format!(
            "Cannot cast {} to boolean",
            other.class_name()
        ))),
    }
}

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn from_utf16<'a>(u: &[u16]) -> V<'a> {
    V::owned_str(String::from_utf16_lossy(u))
}

fn str_index_oob(msg: String) -> Exc {
    Exc::new("StringIndexOutOfBoundsException", msg)
}

/// Index (in UTF-16 units) of `needle` in `hay` at or after `from`.
fn index_of(hay: &[u16], needle: &[u16], from: i64) -> i32 {
    let from = from.max(0) as usize;
    if needle.is_empty() {
        return from.min(hay.len()) as i32;
    }
    if needle.len() > hay.len() {
        return -1;
    }
    (from..=hay.len() - needle.len())
        .find(|&i| &hay[i..i + needle.len()] == needle)
        .map_or(-1, |i| i as i32)
}

fn last_index_of(hay: &[u16], needle: &[u16], from: i64) -> i32 {
    if needle.len() > hay.len() || from < 0 {
        return -1;
    }
    let max = (hay.len() - needle.len()).min(from as usize);
    (0..=max)
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
        .map_or(-1, |i| i as i32)
}

/// `indexOf` argument: a String or a char/int code point.
fn needle_units(v: &V<'_>) -> Res<Vec<u16>> {
    match v {
        V::Str(s) => Ok(utf16(s)),
        V::Char(c) => Ok(vec![*c]),
        V::Int(i) => Ok(char::from_u32(*i as u32)
            .map(|c| {
                let mut b = [0u16; 2];
                c.encode_utf16(&mut b).to_vec()
            })
            .unwrap_or_default()),
        other => Err(Exc::cce(format!(
            "Cannot cast {} to java.lang.String",
            other.class_name()
        ))),
    }
}

/// Java `String.trim()`: strips chars ≤ U+0020.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn java_lower(s: &str) -> String {
    s.to_lowercase()
}

fn java_upper(s: &str) -> String {
    s.to_uppercase()
}

fn new_set<'a>(items: impl IntoIterator<Item = V<'a>>) -> V<'a> {
    V::Set(Rc::new(RefCell::new(items.into_iter().map(K).collect())))
}

fn source_iter<'a>(items: Vec<V<'a>>, source: V<'a>) -> V<'a> {
    V::obj(Obj::Iter(RefCell::new(super::value::IterState {
        items,
        pos: 0,
        removed: 0,
        source,
    })))
}

/// Natural ordering (Comparable) of two values.
pub fn natural_cmp(a: &V<'_>, b: &V<'_>) -> Res<Ordering> {
    if let (Some(x), Some(y)) = (as_f64(a), as_f64(b))
        && a.class_name() == b.class_name()
    {
        if let (Some(i), Some(j)) = (as_i64(a), as_i64(b)) {
            return Ok(i.cmp(&j));
        }
        return Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal));
    }
    if let (Some(x), Some(y)) = (super::time::time_of(a), super::time::time_of(b))
        && let Some(c) = x.compare(y)
    {
        return Ok(c.cmp(&0));
    }
    match (a, b) {
        (V::Str(x), V::Str(y)) => Ok(utf16(x).cmp(&utf16(y))),
        (V::Bool(x), V::Bool(y)) => Ok(x.cmp(y)),
        (V::Null, _) | (_, V::Null) => Err(Exc::npe(
            "Cannot invoke \"java.lang.Comparable.compareTo(Object)\" because \"a[runHi]\" is null",
        )),
        _ => Err(Exc::cce(format!(
            "class {} cannot be cast to class {}",
            a.class_name(),
            b.class_name()
        ))),
    }
}

fn sort_values<'a>(it: &mut Interp<'a>, items: &mut [V<'a>], cmp: Option<&V<'a>>) -> Res<()> {
    // Insertion-based merge sort that propagates comparator errors (stable, like TimSort).
    let mut err = None;
    let mut v: Vec<V<'a>> = items.to_vec();
    let mut compare = |a: &V<'a>, b: &V<'a>| -> Ordering {
        if err.is_some() {
            return Ordering::Equal;
        }
        let r = match cmp {
            Some(f) if !f.is_null() => it
                .call_value(f, vec![a.clone(), b.clone()])
                .and_then(|r| want_int(&r))
                .map(|i| i.cmp(&0)),
            _ => natural_cmp(a, b),
        };
        match r {
            Ok(o) => o,
            Err(e) => {
                err = Some(e);
                Ordering::Equal
            }
        }
    };
    v.sort_by(&mut compare);
    if let Some(e) = err {
        return Err(e);
    }
    items.clone_from_slice(&v);
    Ok(())
}

fn truthy(v: &V<'_>) -> Res<bool> {
    want_bool(v)
}

fn java_parse_int(s: &str, radix: u32) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if neg { -v } else { v }).ok()
}

fn nfe(s: &str, radix: u32) -> Exc {
    if radix == 10 {
        Exc::new(
            "NumberFormatException",
            format!("For input string: \"{s}\""),
        )
    } else {
        Exc::new(
            "NumberFormatException",
            format!("For input string: \"{s}\" under radix {radix}"),
        )
    }
}

fn parse_int_str(s: &str, radix: u32) -> Res<i32> {
    java_parse_int(s, radix)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| nfe(s, radix))
}

fn parse_long_str(s: &str, radix: u32) -> Res<i64> {
    java_parse_int(s, radix).ok_or_else(|| nfe(s, radix))
}

/// Java `Double.parseDouble`: trims whitespace, accepts `NaN`, `Infinity`, `1f`, `1d`.
fn parse_double_str(s: &str) -> Res<f64> {
    let t = java_trim(s);
    let body = t
        .strip_suffix(['f', 'F', 'd', 'D'])
        .filter(|b| !b.is_empty() && !b.ends_with(['e', 'E']))
        .unwrap_or(t);
    let ok = !body.is_empty()
        && (body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
            || matches!(body.trim_start_matches(['+', '-']), "NaN" | "Infinity"));
    if !ok {
        return Err(Exc::new(
            "NumberFormatException",
            if t.is_empty() {
                "empty String".to_string()
            } else {
                format!("For input string: \"{s}\"")
            },
        ));
    }
    let norm = body.replace("Infinity", "inf");
    norm.parse::<f64>().map_err(|_| {
        Exc::new(
            "NumberFormatException",
            format!("For input string: \"{s}\""),
        )
    })
}

/// Java `Long.decode`: optional sign, then `0x`/`#` hex, leading-zero octal, or decimal.
fn decode_long(s: &str) -> Res<i64> {
    let bad = || nfe(s, 10);
    if s.is_empty() {
        return Err(Exc::new("NumberFormatException", "Zero length string"));
    }
    let (neg, rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = rest.strip_prefix("0x").or(rest.strip_prefix("0X")) {
        (16, h)
    } else if let Some(h) = rest.strip_prefix('#') {
        (16, h)
    } else if rest.len() > 1 && rest.starts_with('0') {
        (8, &rest[1..])
    } else {
        (10, rest)
    };
    if digits.starts_with(['-', '+']) {
        return Err(Exc::new(
            "NumberFormatException",
            "Sign character in wrong position",
        ));
    }
    let v = java_parse_int(digits, radix).ok_or_else(bad)?;
    Ok(if neg { v.wrapping_neg() } else { v })
}

fn number_to_string<'a>(v: &V<'a>) -> V<'a> {
    V::owned_str(v.to_java_string())
}

/// `=~` (find) and `==~` (matches).
pub fn regex_op<'a>(full: bool, a: &V<'a>, b: &V<'a>) -> Res<V<'a>> {
    let V::Obj(o) = b else {
        return Err(Exc::cce(format!(
            "Cannot cast {} to java.util.regex.Pattern",
            b.class_name()
        )));
    };
    let Obj::Pattern(re) = &**o else {
        return Err(Exc::cce(format!(
            "Cannot cast {} to java.util.regex.Pattern",
            b.class_name()
        )));
    };
    let s = match a {
        V::Str(s) => s.to_string(),
        V::Null => {
            return Err(Exc::npe(
                "Cannot invoke \"java.lang.CharSequence.length()\" because \"this.text\" is null",
            ));
        }
        other => other.to_java_string(),
    };
    Ok(V::Bool(if full { re.matches(&s)? } else { re.find(&s)? }))
}

// ---------- constructors ----------

/// `new Class(args)`.
pub fn construct<'a>(it: &mut Interp<'a>, class: &str, args: Vec<V<'a>>) -> Res<V<'a>> {
    let a0 = arg(&args, 0);
    let _ = it;
    Ok(match class {
        "ArrayList" | "LinkedList" => match &a0 {
            V::Null if args.is_empty() => V::new_list(vec![]),
            V::Int(_) => V::new_list(vec![]),
            c if c.is_list_like() || matches!(c, V::Array(_)) => {
                budget::elements(coll_len(c))?;
                V::new_list(c.items())
            }
            V::Null => {
                return Err(Exc::npe(
                    "Cannot invoke \"java.util.Collection.toArray()\" because \"c\" is null",
                ));
            }
            other => {
                return Err(Exc::cce(format!(
                    "Cannot cast {} to java.util.Collection",
                    other.class_name()
                )));
            }
        },
        "HashMap" | "LinkedHashMap" => match &a0 {
            m if m.is_map() => {
                let entries = m.map_entries();
                budget::elements(entries.len())?;
                V::new_map(entries.into_iter().map(|(k, v)| (K(k), v)).collect())
            }
            _ => V::new_map(IndexMap::default()),
        },
        "HashSet" | "LinkedHashSet" => match &a0 {
            c if c.is_list_like() => {
                budget::elements(coll_len(c))?;
                new_set(c.items())
            }
            _ => new_set(vec![]),
        },
        "StringBuilder" => match &a0 {
            V::Str(s) => {
                budget::string(s.len())?;
                V::obj(Obj::Builder(RefCell::new(s.to_string())))
            }
            _ => V::obj(Obj::Builder(RefCell::new(String::new()))),
        },
        "StringTokenizer" => {
            let s = want_str(&a0, "length()")?;
            let delims: Vec<char> = match args.get(1) {
                Some(d) => want_str(d, "length()")?.chars().collect(),
                None => vec![' ', '\t', '\n', '\r', '\u{c}'],
            };
            let toks = s
                .split(|c| delims.contains(&c))
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            V::obj(Obj::Tokenizer(RefCell::new((toks, 0))))
        }
        "CIDR" => {
            let s = want_str(&a0, "length()")?;
            let (addr, prefix) = parse_cidr(&s)?;
            V::obj(Obj::Cidr(addr, prefix))
        }
        c if is_exception_class(c) => {
            let msg = match a0 {
                V::Null => None,
                v => Some(v.to_java_string()),
            };
            V::obj(Obj::Exception(class_name(c).unwrap_or("Exception"), msg))
        }
        _ => return Err(Exc::iae(format!("constructor [{class}] not found"))),
    })
}

fn parse_cidr(s: &str) -> Res<(std::net::IpAddr, u8)> {
    let bad = || Exc::iae(format!("Expected [ip/prefix] but was [{s}]"));
    let (ip, prefix) = s.split_once('/').ok_or_else(bad)?;
    let addr: std::net::IpAddr = ip
        .parse()
        .map_err(|_| Exc::iae(format!("'{ip}' is not an IP string literal.")))?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix > max {
        return Err(bad());
    }
    Ok((addr, prefix))
}

fn cidr_contains(net: &std::net::IpAddr, prefix: u8, ip: &str) -> Res<bool> {
    let addr: std::net::IpAddr = ip
        .parse()
        .map_err(|_| Exc::iae(format!("'{ip}' is not an IP string literal.")))?;
    let to_bits = |a: &std::net::IpAddr| -> (u128, u32) {
        match a {
            std::net::IpAddr::V4(v) => (u32::from(*v) as u128, 32),
            std::net::IpAddr::V6(v) => (u128::from(*v), 128),
        }
    };
    let (n, nlen) = to_bits(net);
    let (a, alen) = to_bits(&addr);
    if nlen != alen {
        return Ok(false);
    }
    let shift = nlen - prefix as u32;
    Ok(if shift >= 128 {
        true
    } else {
        (n >> shift) == (a >> shift)
    })
}

// ---------- global functions ----------

/// Built-in functions without a receiver.
pub fn call_global<'a>(it: &mut Interp<'a>, name: &str, args: Vec<V<'a>>) -> Res<V<'a>> {
    super::ingest::call_global(it, name, args)
}

// ---------- static methods ----------

/// `Class.name(args)`.
pub fn call_static<'a>(
    it: &mut Interp<'a>,
    class: &str,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    if super::time::is_static(class, name, args.len()) {
        return super::time::call_static(class, name, &args, it.now_year());
    }
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let radix = |v: &V<'_>| -> Res<u32> {
        if args.len() > 1 {
            Ok(want_int(v)? as u32)
        } else {
            Ok(10)
        }
    };
    Ok(match (class, name) {
        // java.lang.Math is whitelisted with its double signatures only (Painless overloads by
        // arity, not type): abs/max/min return double and round(double) returns long.
        ("Math", "abs") => V::Double(want_double(&a0)?.abs()),
        ("Math", "max") | ("Math", "min") => {
            let (x, y) = (want_double(&a0)?, want_double(&a1)?);
            V::Double(if x.is_nan() || y.is_nan() {
                f64::NAN
            } else if name == "max" {
                x.max(y)
            } else {
                x.min(y)
            })
        }
        ("Math", "round") => V::Long(java_round(want_double(&a0)?)),
        ("Math", "floor") => V::Double(want_double(&a0)?.floor()),
        ("Math", "ceil") => V::Double(want_double(&a0)?.ceil()),
        ("Math", "pow") => V::Double(want_double(&a0)?.powf(want_double(&a1)?)),
        ("Math", "sqrt") => V::Double(want_double(&a0)?.sqrt()),
        ("Math", "log") => V::Double(want_double(&a0)?.ln()),
        ("Math", "log10") => V::Double(want_double(&a0)?.log10()),
        ("Math", "exp") => V::Double(want_double(&a0)?.exp()),
        ("Math", "signum") => {
            let d = want_double(&a0)?;
            V::Double(if d == 0.0 || d.is_nan() {
                d
            } else {
                d.signum()
            })
        }
        ("Math", "floorDiv") | ("Math", "floorMod") => {
            let long = matches!(a0, V::Long(_)) || matches!(a1, V::Long(_));
            let (x, y) = (want_long(&a0)?, want_long(&a1)?);
            if y == 0 {
                return Err(Exc::new("ArithmeticException", "/ by zero"));
            }
            let r = if name == "floorDiv" {
                x.div_euclid(y)
                    - if (x.rem_euclid(y) != 0) && y < 0 {
                        1
                    } else {
                        0
                    }
            } else {
                ((x % y) + y) % y
            };
            if long { V::Long(r) } else { V::Int(r as i32) }
        }
        ("Integer", "parseInt") | ("Integer", "valueOf") if matches!(a0, V::Str(_)) => {
            V::Int(parse_int_str(&want_str(&a0, "length()")?, radix(&a1)?)?)
        }
        ("Integer", "valueOf") => V::Int(want_int(&a0)?),
        ("Integer", "parseInt") => {
            if a0.is_null() {
                return Err(Exc::new(
                    "NumberFormatException",
                    "Cannot parse null string: null",
                ));
            }
            return Err(Exc::cce(format!(
                "Cannot cast {} to java.lang.String",
                a0.class_name()
            )));
        }
        ("Long", "parseLong") | ("Long", "valueOf") if matches!(a0, V::Str(_)) => {
            V::Long(parse_long_str(&want_str(&a0, "length()")?, radix(&a1)?)?)
        }
        ("Long", "valueOf") => V::Long(want_long(&a0)?),
        ("Long", "parseLong") => {
            if a0.is_null() {
                return Err(Exc::new(
                    "NumberFormatException",
                    "Cannot parse null string: null",
                ));
            }
            return Err(Exc::cce(format!(
                "Cannot cast {} to java.lang.String",
                a0.class_name()
            )));
        }
        ("Long", "decode") => V::Long(decode_long(&want_str(&a0, "length()")?)?),
        ("Integer", "decode") => {
            let s = want_str(&a0, "length()")?;
            let v = decode_long(&s)?;
            V::Int(i32::try_from(v).map_err(|_| nfe(&s, 10))?)
        }
        ("Integer", "toString") | ("Long", "toString") if args.len() == 2 => {
            let v = want_long(&a0)?;
            let r = want_int(&a1)? as u32;
            V::owned_str(to_radix(v, r))
        }
        ("Integer", "toString") => V::owned_str(want_int(&a0)?.to_string()),
        ("Long", "toString") => V::owned_str(want_long(&a0)?.to_string()),
        ("Integer", "toHexString") => V::owned_str(format!("{:x}", want_int(&a0)?)),
        ("Integer", "toBinaryString") => V::owned_str(format!("{:b}", want_int(&a0)?)),
        ("Integer", "toOctalString") => V::owned_str(format!("{:o}", want_int(&a0)?)),
        ("Long", "toHexString") => V::owned_str(format!("{:x}", want_long(&a0)?)),
        ("Long", "toBinaryString") => V::owned_str(format!("{:b}", want_long(&a0)?)),
        ("Integer", "compare") => V::Int(want_int(&a0)?.cmp(&want_int(&a1)?) as i32),
        ("Integer", "signum") => V::Int(want_int(&a0)?.signum()),
        ("Long", "compare") => V::Int(want_long(&a0)?.cmp(&want_long(&a1)?) as i32),
        ("Double", "parseDouble") | ("Double", "valueOf") if matches!(a0, V::Str(_)) => {
            V::Double(parse_double_str(&want_str(&a0, "length()")?)?)
        }
        ("Double", "valueOf") => V::Double(want_double(&a0)?),
        ("Double", "parseDouble") | ("Float", "parseFloat") if a0.is_null() => {
            return Err(Exc::npe(
                "Cannot invoke \"String.trim()\" because \"in\" is null",
            ));
        }
        ("Double", "parseDouble") => {
            return Err(Exc::cce(format!(
                "Cannot cast {} to java.lang.String",
                a0.class_name()
            )));
        }
        ("Double", "toString") => number_to_string(&V::Double(want_double(&a0)?)),
        ("Double", "isNaN") => V::Bool(want_double(&a0)?.is_nan()),
        ("Double", "isInfinite") => V::Bool(want_double(&a0)?.is_infinite()),
        ("Double", "compare") => V::Int(
            want_double(&a0)?
                .partial_cmp(&want_double(&a1)?)
                .unwrap_or(Ordering::Equal) as i32,
        ),
        ("Float", "parseFloat") | ("Float", "valueOf") if matches!(a0, V::Str(_)) => {
            V::Float(parse_double_str(&want_str(&a0, "length()")?)? as f32)
        }
        ("Float", "valueOf") | ("Float", "parseFloat") => V::Float(want_double(&a0)? as f32),
        ("Float", "toString") => number_to_string(&V::Float(want_double(&a0)? as f32)),
        ("Float", "isNaN") => V::Bool(want_double(&a0)?.is_nan()),
        ("Boolean", "parseBoolean") => {
            V::Bool(matches!(&a0, V::Str(s) if s.eq_ignore_ascii_case("true")))
        }
        ("Boolean", "valueOf") => match a0 {
            V::Bool(b) => V::Bool(b),
            V::Str(s) => V::Bool(s.eq_ignore_ascii_case("true")),
            _ => V::Bool(false),
        },
        ("Boolean", "toString") => V::str(if want_bool(&a0)? { "true" } else { "false" }),
        ("String", "valueOf") => V::owned_str(a0.to_java_string()),
        ("String", "join") => {
            let sep = want_str(&a0, "length()")?;
            let items = match &a1 {
                c if c.is_list_like() || matches!(c, V::Array(_)) => c.items(),
                other => vec![other.clone()],
            };
            let parts: Vec<String> = items.iter().map(V::to_java_string).collect();
            budget::string(joined_len(&parts, &sep))?;
            V::owned_str(parts.join(&*sep))
        }
        ("Character", _) => return character_static(name, &a0, &a1),
        ("String", "format") => {
            let fmt = want_str(&a0, "format")?;
            let vals = match &a1 {
                V::Array(l) => l.borrow().clone(),
                _ if args.len() < 2 => vec![],
                other => vec![other.clone()],
            };
            V::owned_str(java_format(&fmt, &vals)?)
        }
        ("Stream", "of") => match &a0 {
            V::Array(l) => V::obj(Obj::Stream(l.borrow().clone())),
            other => V::obj(Obj::Stream(vec![other.clone()])),
        },
        ("Collections", "sort") => {
            let V::List(l) = &a0 else {
                return Err(unsupported_on(&a0, "sort"));
            };
            let mut items = l.borrow().clone();
            sort_values(it, &mut items, args.get(1))?;
            *l.borrow_mut() = items;
            V::Null
        }
        ("Collections", "reverse") => {
            let V::List(l) = &a0 else {
                return Err(unsupported_on(&a0, "reverse"));
            };
            l.borrow_mut().reverse();
            V::Null
        }
        ("Collections", "emptyList") => V::new_list(vec![]),
        ("Collections", "emptyMap") => V::new_map(IndexMap::default()),
        ("Collections", "emptySet") => new_set(vec![]),
        ("Collections", "singletonList") => V::new_list(vec![a0]),
        ("Collections", "singleton") => new_set(vec![a0]),
        ("Collections", "singletonMap") => V::new_map([(K(a0), a1)].into_iter().collect()),
        ("Collections", "max") | ("Collections", "min") => {
            let items = a0.items();
            let mut best: Option<V<'a>> = None;
            for v in items {
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let o = natural_cmp(&v, &b)?;
                        if (name == "max" && o == Ordering::Greater)
                            || (name == "min" && o == Ordering::Less)
                        {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            best.ok_or_else(|| Exc::new("NoSuchElementException", ""))?
        }
        ("Collections", "nCopies") => {
            let n = want_int(&a0)?;
            if n < 0 {
                return Err(Exc::iae(format!("List length = {n}")));
            }
            budget::elements(n as usize)?;
            V::new_list(vec![a1; n as usize])
        }
        ("Collections", "frequency") => {
            V::Int(a0.items().iter().filter(|v| java_equals(v, &a1)).count() as i32)
        }
        ("Collections", "unmodifiableList")
        | ("Collections", "unmodifiableMap")
        | ("Collections", "unmodifiableSet") => a0,
        ("Arrays", "asList") => {
            budget::elements(coll_len(&a0))?;
            V::new_list(a0.items())
        }
        ("Arrays", "toString") => match &a0 {
            V::Null => V::str("null"),
            V::Array(l) => V::owned_str(V::new_list(l.borrow().clone()).to_java_string()),
            other => V::owned_str(other.to_java_string()),
        },
        ("Objects", "equals") => V::Bool(
            it.wrapper_equals(&a0, &a1)
                .unwrap_or_else(|| java_equals(&a0, &a1)),
        ),
        ("Objects", "isNull") => V::Bool(a0.is_null()),
        ("Objects", "nonNull") => V::Bool(!a0.is_null()),
        ("Objects", "toString") => {
            if a0.is_null() && args.len() == 2 {
                a1
            } else {
                V::owned_str(a0.to_java_string())
            }
        }
        ("Objects", "requireNonNull") => {
            if a0.is_null() {
                return Err(Exc::java(
                    "NullPointerException",
                    if args.len() == 2 {
                        Some(a1.to_java_string())
                    } else {
                        None
                    },
                    usize::MAX,
                ));
            }
            a0
        }
        ("Objects", "requireNonNullElse") => {
            if a0.is_null() {
                a1
            } else {
                a0
            }
        }
        ("Collectors", "toList") => V::obj(Obj::Collector(Collector::List)),
        ("Collectors", "toSet") => V::obj(Obj::Collector(Collector::Set)),
        ("Collectors", "joining") => {
            let s = |i: usize| -> Res<String> {
                Ok(match args.get(i) {
                    Some(v) => want_str(v, "length()")?.to_string(),
                    None => String::new(),
                })
            };
            V::obj(Obj::Collector(Collector::Joining(s(0)?, s(1)?, s(2)?)))
        }
        ("Collectors", "toMap") => V::obj(Obj::Collector(Collector::Map(a0, a1))),
        ("Processors", "lowercase") => V::owned_str(java_lower(&want_str(&a0, "toLowerCase()")?)),
        ("Processors", "uppercase") => V::owned_str(java_upper(&want_str(&a0, "toUpperCase()")?)),
        ("Processors", "urlDecode") => V::owned_str(url_decode(&want_str(&a0, "length()")?)?),
        ("Processors", "bytes") => V::Long(parse_bytes(&want_str(&a0, "length()")?)?),
        ("Processors", "communityId") => super::ingest::community_id(&args)?,
        ("Processors", "uriParts") => super::ingest::uri_parts(&a0)?,
        ("Processors", "json") => {
            if args.len() == 2 {
                let key = want_str(&a1, "length()")?;
                let V::Map(m) = &a0 else {
                    return Err(read_only());
                };
                let raw = m.borrow().get(&K::str(&key)).cloned().unwrap_or_default();
                let parsed = parse_json(&raw.to_java_string())?;
                if let V::Map(pm) = parsed {
                    let entries: Vec<_> = pm
                        .borrow()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    let mut mm = m.borrow_mut();
                    for (k, v) in entries {
                        mm.insert(k, v);
                    }
                }
                V::Null
            } else {
                parse_json(&want_str(&a0, "length()")?)?
            }
        }
        _ => {
            return Err(Exc::iae(format!(
                "static method [{class}, {name}/{}] not found",
                args.len()
            )));
        }
    })
}

fn parse_json<'a>(s: &str) -> Res<V<'a>> {
    let v = crate::value::Value::from_json_str(s).map_err(|e| Exc::iae(e.to_string()))?;
    Ok(super::value::copy_value(&v))
}

fn url_decode(s: &str) -> Res<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = s.get(i + 1..i + 3).ok_or_else(|| {
                    Exc::iae("URLDecoder: Incomplete trailing escape (%) pattern")
                })?;
                let v = u8::from_str_radix(hex, 16).map_err(|_| {
                    Exc::iae(format!(
                        "URLDecoder: Illegal hex characters in escape (%) pattern - Error at index 0 in: \"{hex}\""
                    ))
                })?;
                out.push(v);
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn parse_bytes(s: &str) -> Res<i64> {
    let lower = s.trim().to_lowercase();
    let units: [(&str, i64); 6] = [
        ("pb", 1 << 50),
        ("tb", 1 << 40),
        ("gb", 1 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("b", 1),
    ];
    for (u, mult) in units {
        if let Some(num) = lower.strip_suffix(u) {
            let num = num.trim();
            if let Ok(n) = num.parse::<i64>() {
                return Ok(n.saturating_mul(mult));
            }
            if let Ok(f) = num.parse::<f64>() {
                return Ok((f * mult as f64) as i64);
            }
            break;
        }
    }
    Err(Exc::new(
        "ElasticsearchParseException",
        format!(
            "failed to parse setting [Ingest Field] with value [{s}] as a size in bytes: unit is missing or unrecognized"
        ),
    ))
}

fn java_round(d: f64) -> i64 {
    if d.is_nan() {
        return 0;
    }
    (d + 0.5).floor() as i64
}

fn to_radix(mut v: i64, radix: u32) -> String {
    let radix = if (2..=36).contains(&radix) { radix } else { 10 };
    if v == 0 {
        return "0".into();
    }
    let neg = v < 0;
    let mut digits = Vec::new();
    while v != 0 {
        let d = (v % radix as i64).unsigned_abs() as u32;
        digits.push(std::char::from_digit(d, radix).unwrap_or('0'));
        v /= radix as i64;
    }
    if neg {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

fn char_of(v: &V<'_>) -> Res<u32> {
    match v {
        V::Char(c) => Ok(*c as u32),
        V::Int(i) => Ok(*i as u32),
        V::Null => Err(Exc::npe("Cannot unbox null value to char")),
        other => Err(Exc::cce(format!(
            "Cannot cast {} to char",
            other.class_name()
        ))),
    }
}

fn character_static<'a>(name: &str, a0: &V<'a>, a1: &V<'a>) -> Res<V<'a>> {
    let c = char_of(a0)?;
    let ch = char::from_u32(c);
    let test = |f: fn(char) -> bool| V::Bool(ch.is_some_and(f));
    Ok(match name {
        "isWhitespace" => V::Bool(
            matches!(c, 0x09..=0x0D | 0x1C..=0x1F)
                || ch.is_some_and(|x| {
                    x.is_whitespace() && !matches!(x, '\u{a0}' | '\u{2007}' | '\u{202f}')
                }),
        ),
        "isSpaceChar" => {
            test(|x| x == ' ' || x == '\u{a0}' || (x.is_whitespace() && x as u32 > 0x7f))
        }
        "isDigit" => test(char::is_numeric),
        "isLetter" | "isAlphabetic" => test(char::is_alphabetic),
        "isLetterOrDigit" => test(char::is_alphanumeric),
        "isUpperCase" => test(char::is_uppercase),
        "isLowerCase" => test(char::is_lowercase),
        "toUpperCase" | "toLowerCase" => {
            let mapped = ch
                .map(|x| {
                    let mut it: Box<dyn Iterator<Item = char>> = if name == "toUpperCase" {
                        Box::new(x.to_uppercase())
                    } else {
                        Box::new(x.to_lowercase())
                    };
                    match (it.next(), it.next()) {
                        (Some(m), None) => m,
                        _ => x,
                    }
                })
                .map_or(c, |m| m as u32);
            if matches!(a0, V::Char(_)) {
                V::Char(mapped as u16)
            } else {
                V::Int(mapped as i32)
            }
        }
        "toString" | "valueOf" if matches!(a0, V::Char(_)) => {
            if name == "valueOf" {
                a0.clone()
            } else {
                V::owned_str(a0.to_java_string())
            }
        }
        "digit" => {
            let radix = want_int(a1)? as u32;
            V::Int(ch.and_then(|x| x.to_digit(radix)).map_or(-1, |d| d as i32))
        }
        "getNumericValue" => V::Int(ch.and_then(|x| x.to_digit(36)).map_or(-1, |d| d as i32)),
        "compare" => V::Int(c as i32 - char_of(a1)? as i32),
        _ => {
            return Err(Exc::iae(format!(
                "static method [Character, {name}] not found"
            )));
        }
    })
}

fn unsupported_on(v: &V<'_>, name: &str) -> Exc {
    if v.is_null() {
        return Exc::npe(format!(
            "cannot access method/field [{name}] from a null def reference"
        ));
    }
    Exc::iae(format!(
        "dynamic method [{}, {name}/?] not found",
        v.class_name()
    ))
}

fn no_method(v: &V<'_>, name: &str, argc: usize) -> Exc {
    Exc::iae(format!(
        "dynamic method [{}, {name}/{argc}] not found",
        v.class_name()
    ))
}

// ---------- instance methods ----------

/// `recv.name(args)` on a non-null receiver.
pub fn call_method<'a>(
    it: &mut Interp<'a>,
    recv: V<'a>,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let argc = args.len();
    // Methods every object has.
    match (name, argc) {
        ("equals", 1) => {
            let eq = it.wrapper_equals(&recv, &args[0]);
            return Ok(V::Bool(eq.unwrap_or_else(|| java_equals(&recv, &args[0]))));
        }
        ("toString", 0) => return Ok(V::owned_str(recv.to_java_string())),
        ("hashCode", 0) => return Ok(V::Int(super::value::java_hash_code(&recv))),
        _ => {}
    }
    match &recv {
        V::Str(s) => string_method(it, s, name, args),
        V::List(_) | V::DocList(_) | V::Set(_) | V::Array(_) | V::View(..) => {
            collection_method(it, &recv, name, args)
        }
        V::Map(_) | V::DocMap(_) => map_method(it, &recv, name, args),
        V::Int(_) | V::Long(_) | V::Double(_) | V::Float(_) | V::Short(_) | V::Byte(_) => {
            number_method(&recv, name, args)
        }
        V::Char(c) => match (name, argc) {
            ("charValue", 0) => Ok(recv.clone()),
            // `Character.compareTo(Character)`: another char, never an int code point.
            ("compareTo", 1) => match &args[0] {
                V::Char(o) => Ok(V::Int(*c as i32 - *o as i32)),
                V::Null => Err(Exc::npe("Cannot unbox null value to char")),
                other => Err(Exc::cce(format!(
                    "Cannot cast {} to java.lang.Character",
                    other.class_name()
                ))),
            },
            _ => Err(no_method(&recv, name, argc)),
        },
        V::Bool(b) => match (name, argc) {
            ("booleanValue", 0) => Ok(V::Bool(*b)),
            ("compareTo", 1) => Ok(V::Int(*b as i32 - want_bool(&args[0])? as i32)),
            _ => Err(no_method(&recv, name, argc)),
        },
        V::Obj(o) => object_method(it, &recv, o, name, args),
        V::Null => Err(unsupported_on(&recv, name)),
    }
}

/// A `String` method; the string or array it makes counts against the memory budget.
fn string_method<'a>(
    it: &mut Interp<'a>,
    s: &JStr<'a>,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let v = string_method_inner(it, s, name, args)?;
    budget::charge_fresh(&v)?;
    Ok(v)
}

fn string_method_inner<'a>(
    it: &mut Interp<'a>,
    s: &JStr<'a>,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let argc = args.len();
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let ascii = s.is_ascii();
    let units = || utf16(s);
    Ok(match (name, argc) {
        ("length", 0) => V::Int(if ascii { s.len() } else { units().len() } as i32),
        ("isEmpty", 0) => V::Bool(s.is_empty()),
        ("substring", _) => {
            let u = units();
            let len = u.len() as i64;
            let b = want_int(&a0)? as i64;
            let e = if argc == 2 {
                want_int(&a1)? as i64
            } else {
                len
            };
            if b < 0 || e > len || b > e {
                return Err(str_index_oob(format!("begin {b}, end {e}, length {len}")));
            }
            from_utf16(&u[b as usize..e as usize])
        }
        ("indexOf", _) | ("lastIndexOf", _) => {
            let u = units();
            let n = needle_units(&a0)?;
            let last = name == "lastIndexOf";
            let from = if argc == 2 {
                want_int(&a1)? as i64
            } else if last {
                u.len() as i64
            } else {
                0
            };
            V::Int(if last {
                last_index_of(&u, &n, from)
            } else {
                index_of(&u, &n, from)
            })
        }
        ("contains", 1) => V::Bool(s.contains(&*want_str(&a0, "contains")?)),
        ("startsWith", 1) => V::Bool(s.starts_with(&*want_str(&a0, "startsWith")?)),
        ("startsWith", 2) => {
            let p = utf16(&want_str(&a0, "startsWith")?);
            let off = want_int(&a1)?;
            let u = units();
            V::Bool(off >= 0 && u.get(off as usize..).is_some_and(|r| r.starts_with(&p)))
        }
        ("endsWith", 1) => V::Bool(s.ends_with(&*want_str(&a0, "endsWith")?)),
        ("toLowerCase", 0) => V::owned_str(java_lower(s)),
        ("toUpperCase", 0) => V::owned_str(java_upper(s)),
        ("trim", 0) => V::str(java_trim(s)),
        ("strip", 0) => V::str(s.trim()),
        ("isBlank", 0) => V::Bool(s.trim().is_empty()),
        ("replace", 2) => {
            let (from, to) = match (&a0, &a1) {
                (V::Char(x), V::Char(y)) => (
                    String::from_utf16_lossy(&[*x]),
                    String::from_utf16_lossy(&[*y]),
                ),
                _ => (
                    want_str(&a0, "replace")?.to_string(),
                    want_str(&a1, "replace")?.to_string(),
                ),
            };
            let hits = if from.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(from.as_str()).count()
            };
            budget::check_string(
                (s.len() - hits * from.len()).saturating_add(hits.saturating_mul(to.len())),
            )?;
            if from.is_empty() {
                // Java inserts the replacement between every char.
                let mut out = to.clone();
                for c in s.chars() {
                    out.push(c);
                    out.push_str(&to);
                }
                V::owned_str(out)
            } else {
                V::owned_str(s.replace(&from, &to))
            }
        }
        ("replaceAll", 2) | ("replaceFirst", 2) => {
            let all = name == "replaceAll";
            match &a0 {
                V::Obj(o) if matches!(&**o, Obj::Pattern(_)) => {
                    let Obj::Pattern(re) = &**o else {
                        return Err(no_method(&a0, name, argc));
                    };
                    return replace_fn(it, re, &s.to_rc(), &a1, all);
                }
                _ => {
                    let re = JavaRegex::new(&want_str(&a0, "replaceAll")?, "")
                        .map_err(|e| Exc::new("PatternSyntaxException", e))?;
                    let r = want_str(&a1, "replaceAll")?;
                    V::owned_str(re.replace(s, &r, all)?)
                }
            }
        }
        ("split", _) => {
            let limit = if argc == 2 { want_int(&a1)? } else { 0 };
            let pat = want_str(&a0, "split")?;
            let re = JavaRegex::new(&pat, "").map_err(|e| Exc::new("PatternSyntaxException", e))?;
            let parts = re.split(s, limit)?;
            V::Array(Rc::new(RefCell::new(
                parts.iter().map(|p| V::str(p)).collect(),
            )))
        }
        ("splitOnToken", _) => {
            let tok = want_str(&a0, "splitOnToken")?;
            let limit = if argc == 2 { want_int(&a1)? } else { 0 };
            V::Array(Rc::new(RefCell::new(
                split_on_token(s, &tok, limit)?
                    .into_iter()
                    .map(|p| V::str(&p))
                    .collect(),
            )))
        }
        ("equalsIgnoreCase", 1) => V::Bool(match &a0 {
            V::Str(o) => {
                o.chars().count() == s.chars().count()
                    && o.chars().zip(s.chars()).all(|(a, b)| {
                        a == b
                            || a.to_uppercase().eq(b.to_uppercase())
                            || a.to_lowercase().eq(b.to_lowercase())
                    })
            }
            _ => false,
        }),
        ("compareTo", 1) => {
            let o = want_str(&a0, "compareTo")?;
            V::Int(java_compare(&units(), &utf16(&o)))
        }
        ("compareToIgnoreCase", 1) => {
            let o = want_str(&a0, "compareToIgnoreCase")?;
            V::Int(java_compare(
                &utf16(&java_lower(&java_upper(s))),
                &utf16(&java_lower(&java_upper(&o))),
            ))
        }
        ("charAt", 1) => {
            let i = want_int(&a0)?;
            let u = units();
            match u.get(i as usize) {
                Some(c) if i >= 0 => V::Char(*c),
                _ => {
                    return Err(str_index_oob(format!(
                        "Index {i} out of bounds for length {}",
                        u.len()
                    )));
                }
            }
        }
        ("codePointAt", 1) => {
            let i = want_int(&a0)?;
            let u = units();
            match u.get(i as usize) {
                Some(c) if i >= 0 => V::Int(
                    char::decode_utf16(u[i as usize..].iter().copied())
                        .next()
                        .and_then(Result::ok)
                        .map_or(*c as i32, |c| c as i32),
                ),
                _ => {
                    return Err(str_index_oob(format!(
                        "Index {i} out of bounds for length {}",
                        u.len()
                    )));
                }
            }
        }
        ("concat", 1) => {
            let t = want_str(&a0, "concat")?;
            budget::check_string(s.len().saturating_add(t.len()))?;
            V::owned_str(format!("{s}{t}"))
        }
        ("repeat", 1) => {
            let n = want_int(&a0)?;
            if n < 0 {
                return Err(Exc::iae(format!("count is negative: {n}")));
            }
            // java.lang.String.repeat: a result over Integer.MAX_VALUE chars is an error.
            let len = if ascii { s.len() } else { units().len() };
            if n > 0 && len > i32::MAX as usize / n as usize {
                return Err(budget::out_of_memory(
                    "Required length exceeds implementation limit",
                ));
            }
            budget::check_string(s.len().saturating_mul(n as usize))?;
            V::owned_str(s.repeat(n as usize))
        }
        ("chars", 0) => V::obj(Obj::Stream(
            units().into_iter().map(|c| V::Int(c as i32)).collect(),
        )),
        ("sha1", 0) | ("sha256", 0) => {
            use sha1::Digest as _;
            let bytes: Vec<u8> = if name == "sha1" {
                sha1::Sha1::digest(s.as_bytes()).to_vec()
            } else {
                sha2::Sha256::digest(s.as_bytes()).to_vec()
            };
            V::owned_str(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
        }
        ("toCharArray", 0) => V::Array(Rc::new(RefCell::new(
            units().into_iter().map(V::Char).collect(),
        ))),
        ("encodeBase64", 0) => {
            use base64::Engine as _;
            V::owned_str(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        }
        ("decodeBase64", 0) => {
            use base64::Engine as _;
            // Java's decoder accepts input with or without padding.
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
                    .with_decode_allow_trailing_bits(true),
            );
            let bytes = engine
                .decode(s.as_bytes())
                .map_err(|e| Exc::iae(e.to_string()))?;
            V::owned_str(String::from_utf8_lossy(&bytes).into_owned())
        }
        ("matches", 1) => {
            let re = JavaRegex::new(&want_str(&a0, "matches")?, "")
                .map_err(|e| Exc::new("PatternSyntaxException", e))?;
            V::Bool(re.matches(s)?)
        }
        _ => return Err(no_method(&V::Str(s.clone()), name, argc)),
    })
}

fn java_compare(a: &[u16], b: &[u16]) -> i32 {
    for (x, y) in a.iter().zip(b.iter()) {
        if x != y {
            return *x as i32 - *y as i32;
        }
    }
    a.len() as i32 - b.len() as i32
}

/// Painless `splitOnToken`: split on a literal token; trailing empty strings are kept.
fn split_on_token(s: &str, tok: &str, limit: i32) -> Res<Vec<String>> {
    if tok.is_empty() {
        return Err(Exc::iae("Cannot split on empty token"));
    }
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        if limit > 0 && out.len() as i32 == limit - 1 {
            out.push(rest.to_string());
            break;
        }
        match rest.find(tok) {
            Some(i) => {
                out.push(rest[..i].to_string());
                rest = &rest[i + tok.len()..];
            }
            None => {
                out.push(rest.to_string());
                break;
            }
        }
    }
    Ok(out)
}

fn number_method<'a>(recv: &V<'a>, name: &str, args: Vec<V<'a>>) -> Res<V<'a>> {
    let argc = args.len();
    let t = match (name, argc) {
        ("intValue", 0) => Ty::Int,
        ("longValue", 0) => Ty::Long,
        ("doubleValue", 0) => Ty::Double,
        ("floatValue", 0) => Ty::Float,
        ("shortValue", 0) => Ty::Short,
        ("byteValue", 0) => Ty::Byte,
        ("isNaN", 0) => return Ok(V::Bool(as_f64(recv).is_some_and(f64::is_nan))),
        ("isInfinite", 0) => return Ok(V::Bool(as_f64(recv).is_some_and(f64::is_infinite))),
        ("compareTo", 1) => {
            if recv.class_name() != args[0].class_name() {
                return Err(Exc::cce(format!(
                    "Cannot cast {} to {}",
                    args[0].class_name(),
                    recv.class_name()
                )));
            }
            return Ok(V::Int(natural_cmp(recv, &args[0])? as i32));
        }
        _ => return Err(no_method(recv, name, argc)),
    };
    convert(recv.clone(), &t, true)
}

fn call_pred<'a>(it: &mut Interp<'a>, f: &V<'a>, args: Vec<V<'a>>) -> Res<bool> {
    let r = it.call_value(f, args)?;
    truthy(&r)
}

/// A one-argument predicate call.
fn call_pred1<'a>(it: &mut Interp<'a>, f: &V<'a>, arg: V<'a>) -> Res<bool> {
    let r = it.call_value1(f, arg)?;
    truthy(&r)
}

fn collection_method<'a>(
    it: &mut Interp<'a>,
    recv: &V<'a>,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let argc = args.len();
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    // Read-only methods first (work on every kind, including document lists).
    match (name, argc) {
        ("size", 0) | ("getLength", 0) if !matches!(recv, V::Array(_)) => {
            return Ok(V::Int(coll_len(recv) as i32));
        }
        ("isEmpty", 0) if !matches!(recv, V::Array(_)) => {
            return Ok(V::Bool(coll_len(recv) == 0));
        }
        ("contains", 1) if !matches!(recv, V::Array(_)) => {
            return Ok(V::Bool(match recv {
                V::Set(s) => s.borrow().contains(&K(a0)),
                V::List(l) => l.borrow().iter().any(|v| java_equals(v, &a0)),
                V::DocList(l) => l.iter().any(|x| super::value::doc_java_equals(x, &a0)),
                _ => recv.items().iter().any(|v| java_equals(v, &a0)),
            }));
        }
        ("containsAll", 1) => {
            let items = recv.items();
            return Ok(V::Bool(
                a0.items()
                    .iter()
                    .all(|x| items.iter().any(|v| java_equals(v, x))),
            ));
        }
        ("get", 1) if !recv.is_set() && !matches!(recv, V::Array(_)) => {
            let i = super::interp::to_index(&a0)?;
            let len = coll_len(recv);
            if i < 0 || i as usize >= len {
                return Err(Exc::new(
                    "IndexOutOfBoundsException",
                    format!("Index {i} out of bounds for length {len}"),
                ));
            }
            return super::interp::get_index(recv, &V::Int(i as i32));
        }
        ("indexOf", 1) | ("lastIndexOf", 1) if !recv.is_set() => {
            let items = recv.items();
            let pos = if name == "indexOf" {
                items.iter().position(|v| java_equals(v, &a0))
            } else {
                items.iter().rposition(|v| java_equals(v, &a0))
            };
            return Ok(V::Int(pos.map_or(-1, |p| p as i32)));
        }
        ("stream", 0) => return Ok(V::obj(Obj::Stream(recv.items()))),
        ("iterator", 0) => return Ok(source_iter(recv.items(), recv.clone())),
        ("clone", 0) => {
            return Ok(match recv {
                V::Set(_) => new_set(recv.items()),
                V::Array(_) => V::Array(Rc::new(RefCell::new(recv.items()))),
                _ => V::new_list(recv.items()),
            });
        }
        ("forEach", 1) | ("each", 1) => {
            for v in recv.items() {
                it.call_value1(&a0, v)?;
            }
            return Ok(if name == "each" {
                recv.clone()
            } else {
                V::Null
            });
        }
        ("subList", 2) => {
            let items = recv.items();
            let (b, e) = (want_int(&a0)?, want_int(&a1)?);
            if b < 0 || e as usize > items.len() || b > e {
                return Err(Exc::new(
                    "IndexOutOfBoundsException",
                    format!("fromIndex: {b}, toIndex: {e}, size: {}", items.len()),
                ));
            }
            return Ok(V::new_list(items[b as usize..e as usize].to_vec()));
        }
        ("toArray", _) => {
            budget::elements(coll_len(recv))?;
            return Ok(V::Array(Rc::new(RefCell::new(recv.items()))));
        }
        ("collect", 1) => {
            let mut out = Vec::new();
            for v in recv.items() {
                out.push(it.call_value1(&a0, v)?);
            }
            return Ok(V::new_list(out));
        }
        ("find", 1) => {
            for v in recv.items() {
                if call_pred1(it, &a0, v.clone())? {
                    return Ok(v);
                }
            }
            return Ok(V::Null);
        }
        ("findAll", 1) => {
            let mut out = Vec::new();
            for v in recv.items() {
                if call_pred1(it, &a0, v.clone())? {
                    out.push(v);
                }
            }
            return Ok(V::new_list(out));
        }
        ("any", 1) | ("every", 1) => {
            let any = name == "any";
            for v in recv.items() {
                if call_pred1(it, &a0, v)? == any {
                    return Ok(V::Bool(any));
                }
            }
            return Ok(V::Bool(!any));
        }
        ("join", 1) => {
            let sep = want_str(&a0, "join")?;
            let parts: Vec<String> = recv.items().iter().map(V::to_java_string).collect();
            budget::string(joined_len(&parts, &sep))?;
            return Ok(V::owned_str(parts.join(&*sep)));
        }
        ("sum", 0) => {
            let mut total = 0.0;
            for v in recv.items() {
                total += want_double(&v)?;
            }
            return Ok(V::Double(total));
        }
        _ => {}
    }
    // Mutating methods.
    if let V::View(m, kind) = recv {
        let elem = |k: &K<'a>, v: &V<'a>| match kind {
            ViewKind::Keys => k.0.clone(),
            ViewKind::Values => v.clone(),
            ViewKind::Entries => V::obj(Obj::Entry(
                k.0.clone(),
                RefCell::new(v.clone()),
                Some(m.clone()),
            )),
        };
        let mut snapshot: Vec<(K<'a>, V<'a>)> = m
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut doomed = Vec::new();
        match (name, argc) {
            ("removeIf", 1) => {
                let mut flags = Vec::with_capacity(snapshot.len());
                for (k, v) in &mut snapshot {
                    // Only the snapshot's keys are needed afterwards: a value is handed over.
                    let e = match kind {
                        ViewKind::Values => std::mem::take(v),
                        _ => elem(k, v),
                    };
                    flags.push(call_pred1(it, &a0, e)?);
                }
                if !flags.contains(&true) {
                    return Ok(V::Bool(false));
                }
                // Unless the predicate changed the map's keys, the doomed entries go in one pass.
                let mut mb = m.borrow_mut();
                if mb.len() == snapshot.len() && mb.keys().zip(&snapshot).all(|(a, (b, _))| a == b)
                {
                    let mut doomed = flags.iter();
                    mb.retain(|_, _| doomed.next() != Some(&true));
                } else {
                    for ((k, _), _) in snapshot.iter().zip(&flags).filter(|(_, f)| **f) {
                        mb.shift_remove(k);
                    }
                }
                return Ok(V::Bool(true));
            }
            ("remove", 1) => {
                if let Some((k, _)) = snapshot.iter().find(|(k, v)| java_equals(&elem(k, v), &a0)) {
                    doomed.push(k.clone());
                }
            }
            ("removeAll", 1) | ("retainAll", 1) => {
                let other = collection_items(&a0)?;
                let retain = name == "retainAll";
                for (k, v) in &snapshot {
                    let e = elem(k, v);
                    if other.iter().any(|o| java_equals(&e, o)) != retain {
                        doomed.push(k.clone());
                    }
                }
            }
            ("clear", 0) => doomed = snapshot.iter().map(|(k, _)| k.clone()).collect(),
            ("add", _) | ("addAll", _) => {
                return Err(Exc::new("UnsupportedOperationException", ""));
            }
            _ => return Err(no_method(recv, name, argc)),
        }
        let changed = !doomed.is_empty();
        let mut mb = m.borrow_mut();
        for k in doomed {
            mb.shift_remove(&k);
        }
        return Ok(if name == "clear" {
            V::Null
        } else {
            V::Bool(changed)
        });
    }
    let list = match recv {
        V::DocList(_) => return Err(read_only()),
        V::List(l) => Some(l),
        _ => None,
    };
    if let Some(l) = list {
        return match (name, argc) {
            ("add", 1) => {
                budget::growth(l.borrow().len() + 1, 1)?;
                l.borrow_mut().push(a0);
                Ok(V::Bool(true))
            }
            ("add", 2) => {
                let i = want_int(&a0)?;
                let len = l.borrow().len();
                if i < 0 || i as usize > len {
                    return Err(Exc::new(
                        "IndexOutOfBoundsException",
                        format!("Index: {i}, Size: {len}"),
                    ));
                }
                budget::growth(len + 1, 1)?;
                l.borrow_mut().insert(i as usize, a1);
                Ok(V::Null)
            }
            ("addAll", 1) => {
                let items = collection_items(&a0)?;
                let changed = !items.is_empty();
                budget::growth(l.borrow().len().saturating_add(items.len()), items.len())?;
                l.borrow_mut().extend(items);
                Ok(V::Bool(changed))
            }
            ("addAll", 2) => {
                let i = want_int(&a0)?;
                let items = collection_items(&a1)?;
                let len = l.borrow().len();
                if i < 0 || i as usize > len {
                    return Err(Exc::new(
                        "IndexOutOfBoundsException",
                        format!("Index: {i}, Size: {len}"),
                    ));
                }
                let changed = !items.is_empty();
                budget::growth(len.saturating_add(items.len()), items.len())?;
                let mut lb = l.borrow_mut();
                let tail = lb.split_off(i as usize);
                lb.extend(items);
                lb.extend(tail);
                Ok(V::Bool(changed))
            }
            ("set", 2) => {
                let i = want_int(&a0)?;
                let mut lb = l.borrow_mut();
                let len = lb.len();
                match lb.get_mut(i as usize) {
                    Some(slot) if i >= 0 => Ok(std::mem::replace(slot, a1)),
                    _ => Err(Exc::new(
                        "IndexOutOfBoundsException",
                        format!("Index {i} out of bounds for length {len}"),
                    )),
                }
            }
            ("remove", 1) => {
                let i = want_int(&a0)?;
                let mut lb = l.borrow_mut();
                let len = lb.len();
                if i < 0 || i as usize >= len {
                    return Err(Exc::new(
                        "IndexOutOfBoundsException",
                        format!("Index {i} out of bounds for length {len}"),
                    ));
                }
                Ok(lb.remove(i as usize))
            }
            ("clear", 0) => {
                l.borrow_mut().clear();
                Ok(V::Null)
            }
            ("removeIf", 1) => {
                let mut items = l.borrow().clone();
                let mut flags = Vec::with_capacity(items.len());
                for v in &items {
                    flags.push(call_pred1(it, &a0, v.clone())?);
                }
                let changed = flags.contains(&true);
                // The list becomes the snapshot's kept items (as before any change the predicate
                // made to it).
                let mut doomed = flags.iter();
                items.retain(|_| doomed.next() != Some(&true));
                *l.borrow_mut() = items;
                Ok(V::Bool(changed))
            }
            ("removeAll", 1) | ("retainAll", 1) => {
                let other = collection_items(&a0)?;
                let retain = name == "retainAll";
                let mut lb = l.borrow_mut();
                let before = lb.len();
                lb.retain(|v| other.iter().any(|o| java_equals(v, o)) == retain);
                Ok(V::Bool(lb.len() != before))
            }
            ("sort", 1) => {
                let mut items = l.borrow().clone();
                sort_values(it, &mut items, Some(&a0))?;
                *l.borrow_mut() = items;
                Ok(V::Null)
            }
            ("replaceAll", 1) => {
                let items = l.borrow().clone();
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    out.push(it.call_value1(&a0, v)?);
                }
                *l.borrow_mut() = out;
                Ok(V::Null)
            }
            _ => Err(no_method(recv, name, argc)),
        };
    }
    if let V::Set(s) = recv {
        return match (name, argc) {
            ("add", 1) => {
                budget::growth(s.borrow().len() + 1, 1)?;
                Ok(V::Bool(s.borrow_mut().insert(K(a0))))
            }
            ("addAll", 1) => {
                let items = collection_items(&a0)?;
                budget::growth(s.borrow().len().saturating_add(items.len()), items.len())?;
                let mut sb = s.borrow_mut();
                let mut changed = false;
                for v in items {
                    changed |= sb.insert(K(v));
                }
                Ok(V::Bool(changed))
            }
            ("remove", 1) => Ok(V::Bool(s.borrow_mut().shift_remove(&K(a0)))),
            ("clear", 0) => {
                s.borrow_mut().clear();
                Ok(V::Null)
            }
            ("removeIf", 1) => {
                let items: Vec<V<'a>> = s.borrow().iter().map(|k| k.0.clone()).collect();
                let mut keep = IndexSet::default();
                let mut changed = false;
                for v in items {
                    if call_pred1(it, &a0, v.clone())? {
                        changed = true;
                    } else {
                        keep.insert(K(v));
                    }
                }
                *s.borrow_mut() = keep;
                Ok(V::Bool(changed))
            }
            ("removeAll", 1) | ("retainAll", 1) => {
                let other = collection_items(&a0)?;
                let retain = name == "retainAll";
                let mut sb = s.borrow_mut();
                let before = sb.len();
                sb.retain(|v| other.iter().any(|o| java_equals(&v.0, o)) == retain);
                Ok(V::Bool(sb.len() != before))
            }
            _ => Err(no_method(recv, name, argc)),
        };
    }
    Err(no_method(recv, name, argc))
}

/// Length of `parts` joined with `sep`, for the memory budget.
fn joined_len(parts: &[String], sep: &str) -> usize {
    parts
        .iter()
        .fold(0usize, |n, p| n.saturating_add(p.len()))
        .saturating_add(sep.len().saturating_mul(parts.len().saturating_sub(1)))
}

fn coll_len(v: &V<'_>) -> usize {
    match v {
        V::View(m, _) => m.borrow().len(),
        V::List(l) | V::Array(l) => l.borrow().len(),
        V::DocList(l) => l.len(),
        V::Set(s) => s.borrow().len(),
        _ => 0,
    }
}

fn collection_items<'a>(v: &V<'a>) -> Res<Vec<V<'a>>> {
    match v {
        c if c.is_list_like() || matches!(c, V::Array(_)) => Ok(c.items()),
        V::Null => Err(Exc::npe(
            "Cannot invoke \"java.util.Collection.toArray()\" because \"c\" is null",
        )),
        other => Err(Exc::cce(format!(
            "Cannot cast {} to java.util.Collection",
            other.class_name()
        ))),
    }
}

fn entry<'a>(k: V<'a>, v: V<'a>, map: Option<super::value::MapRef<'a>>) -> V<'a> {
    V::obj(Obj::Entry(k, RefCell::new(v), map))
}

fn map_method<'a>(it: &mut Interp<'a>, recv: &V<'a>, name: &str, args: Vec<V<'a>>) -> Res<V<'a>> {
    let argc = args.len();
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let lookup = |k: &V<'a>| -> Option<V<'a>> {
        match recv {
            V::Map(m) => m.borrow().get(&K(k.clone())).cloned(),
            V::DocMap(m) => match k {
                V::Str(s) => m.get(&**s).map(super::value::from_doc),
                _ => None,
            },
            _ => None,
        }
    };
    match (name, argc) {
        ("get", 1) => return Ok(lookup(&a0).unwrap_or_default()),
        ("getOrDefault", 2) => return Ok(lookup(&a0).unwrap_or(a1)),
        ("containsKey", 1) => return Ok(V::Bool(lookup(&a0).is_some())),
        ("containsValue", 1) => {
            return Ok(V::Bool(
                recv.map_entries().iter().any(|(_, v)| java_equals(v, &a0)),
            ));
        }
        ("size", 0) => {
            return Ok(V::Int(match recv {
                V::Map(m) => m.borrow().len(),
                V::DocMap(m) => m.len(),
                _ => 0,
            } as i32));
        }
        ("isEmpty", 0) => {
            return Ok(V::Bool(match recv {
                V::Map(m) => m.borrow().is_empty(),
                V::DocMap(m) => m.is_empty(),
                _ => true,
            }));
        }
        ("clone", 0) => {
            return Ok(V::new_map(
                recv.map_entries()
                    .into_iter()
                    .map(|(k, v)| (K(k), v))
                    .collect(),
            ));
        }
        ("keySet", 0) | ("values", 0) | ("entrySet", 0) => {
            let kind = match name {
                "keySet" => ViewKind::Keys,
                "values" => ViewKind::Values,
                _ => ViewKind::Entries,
            };
            // A read-only document map is viewed through a snapshot (so that it iterates in
            // the map's order, not its entries' hash order).
            let m = match recv {
                V::Map(m) => m.clone(),
                _ => {
                    // Changes through the snapshot would be lost: a run over borrowed views
                    // starts over.
                    super::interp::note_borrowed_escape();
                    Rc::new(RefCell::new(
                        recv.map_entries()
                            .into_iter()
                            .map(|(k, v)| (K(k), v))
                            .collect(),
                    ))
                }
            };
            return Ok(V::View(m, kind));
        }
        ("forEach", 1) => {
            for (k, v) in recv.map_entries() {
                it.call_value(&a0, vec![k, v])?;
            }
            return Ok(V::Null);
        }
        ("collect", 1) => {
            let mut out = Vec::new();
            for (k, v) in recv.map_entries() {
                out.push(it.call_value(&a0, vec![k, v])?);
            }
            return Ok(V::new_list(out));
        }
        ("count", 1) => {
            let mut n = 0;
            for (k, v) in recv.map_entries() {
                if call_pred(it, &a0, vec![k, v])? {
                    n += 1;
                }
            }
            return Ok(V::Int(n));
        }
        ("every", 1) => {
            for (k, v) in recv.map_entries() {
                if !call_pred(it, &a0, vec![k, v])? {
                    return Ok(V::Bool(false));
                }
            }
            return Ok(V::Bool(true));
        }
        ("find", 1) => {
            for (k, v) in recv.map_entries() {
                if call_pred(it, &a0, vec![k.clone(), v.clone()])? {
                    return Ok(entry(k, v, None));
                }
            }
            return Ok(V::Null);
        }
        ("findAll", 1) => {
            let mut out = IndexMap::default();
            for (k, v) in recv.map_entries() {
                if call_pred(it, &a0, vec![k.clone(), v.clone()])? {
                    out.insert(K(k), v);
                }
            }
            return Ok(V::new_map(out));
        }
        ("getByPath", _) => {
            let path = want_str(&a0, "getByPath")?;
            let mut cur = recv.clone();
            for part in path.split('.') {
                cur = match &cur {
                    m if m.is_map() => get_field(m, part)?,
                    l if l.is_list_like() => match part.parse::<i32>() {
                        Ok(i) => super::interp::get_index(l, &V::Int(i))?,
                        Err(_) => V::Null,
                    },
                    _ => V::Null,
                };
                if cur.is_null() {
                    break;
                }
            }
            return Ok(if cur.is_null() && argc == 2 { a1 } else { cur });
        }
        _ => {}
    }
    let V::Map(m) = recv else {
        return Err(read_only());
    };
    Ok(match (name, argc) {
        ("put", 2) => {
            budget::growth(m.borrow().len() + 1, 1)?;
            m.borrow_mut().insert(K(a0), a1).unwrap_or_default()
        }
        ("putAll", 1) => {
            let entries = a0.map_entries();
            budget::growth(
                m.borrow().len().saturating_add(entries.len()),
                entries.len(),
            )?;
            let mut mb = m.borrow_mut();
            for (k, v) in entries {
                mb.insert(K(k), v);
            }
            V::Null
        }
        ("putIfAbsent", 2) => {
            let mut mb = m.borrow_mut();
            match mb.get(&K(a0.clone())) {
                Some(v) if !v.is_null() => v.clone(),
                _ => {
                    budget::growth(mb.len() + 1, 1)?;
                    mb.insert(K(a0), a1);
                    V::Null
                }
            }
        }
        ("remove", 1) => m.borrow_mut().shift_remove(&K(a0)).unwrap_or_default(),
        ("clear", 0) => {
            m.borrow_mut().clear();
            V::Null
        }
        ("computeIfAbsent", 2) => {
            let cur = m.borrow().get(&K(a0.clone())).cloned();
            match cur {
                Some(v) if !v.is_null() => v,
                _ => {
                    let v = it.call_value(&a1, vec![a0.clone()])?;
                    if !v.is_null() {
                        budget::growth(m.borrow().len() + 1, 1)?;
                        m.borrow_mut().insert(K(a0), v.clone());
                    }
                    v
                }
            }
        }
        ("computeIfPresent", 2) => {
            let cur = m.borrow().get(&K(a0.clone())).cloned();
            match cur {
                Some(old) if !old.is_null() => {
                    let v = it.call_value(&a1, vec![a0.clone(), old])?;
                    if v.is_null() {
                        m.borrow_mut().shift_remove(&K(a0));
                    } else {
                        m.borrow_mut().insert(K(a0), v.clone());
                    }
                    v
                }
                _ => V::Null,
            }
        }
        ("compute", 2) => {
            let old = m.borrow().get(&K(a0.clone())).cloned().unwrap_or_default();
            let v = it.call_value(&a1, vec![a0.clone(), old])?;
            if v.is_null() {
                m.borrow_mut().shift_remove(&K(a0));
            } else {
                budget::growth(m.borrow().len() + 1, 1)?;
                m.borrow_mut().insert(K(a0), v.clone());
            }
            v
        }
        ("merge", 3) => {
            let f = arg(&args, 2);
            let old = m.borrow().get(&K(a0.clone())).cloned();
            let v = match old {
                Some(o) if !o.is_null() => it.call_value(&f, vec![o, a1])?,
                _ => a1,
            };
            if v.is_null() {
                m.borrow_mut().shift_remove(&K(a0));
            } else {
                budget::growth(m.borrow().len() + 1, 1)?;
                m.borrow_mut().insert(K(a0), v.clone());
            }
            v
        }
        _ => return Err(no_method(recv, name, argc)),
    })
}

fn object_method<'a>(
    it: &mut Interp<'a>,
    recv: &V<'a>,
    o: &Rc<Obj<'a>>,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let argc = args.len();
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    Ok(match (&**o, name, argc) {
        (Obj::Builder(b), "append", 1) => {
            // The text first: `b.append(b)` reads the builder it appends to.
            let text = a0.to_java_string();
            budget::push_str(&mut b.borrow_mut(), &text)?;
            recv.clone()
        }
        (Obj::Builder(b), "length", 0) => V::Int(b.borrow().encode_utf16().count() as i32),
        (Obj::Builder(b), "reverse", 0) => {
            let r: String = b.borrow().chars().rev().collect();
            *b.borrow_mut() = r;
            recv.clone()
        }
        (Obj::Builder(b), "setLength", 1) => {
            let n = want_int(&a0)?;
            let u = utf16(&b.borrow());
            let grow = (n.max(0) as usize).saturating_sub(u.len());
            budget::string_growth(b.borrow().len().saturating_add(grow), grow)?;
            let mut u = u;
            u.resize(n.max(0) as usize, 0);
            *b.borrow_mut() = String::from_utf16_lossy(&u);
            V::Null
        }
        (Obj::Builder(b), "insert", 2) => {
            let i = want_int(&a0)?;
            let mut u = utf16(&b.borrow());
            if i < 0 || i as usize > u.len() {
                return Err(str_index_oob(format!("offset {i}, length {}", u.len())));
            }
            let text = a1.to_java_string();
            budget::string_growth(b.borrow().len().saturating_add(text.len()), text.len())?;
            let ins = utf16(&text);
            u.splice(i as usize..i as usize, ins);
            *b.borrow_mut() = String::from_utf16_lossy(&u);
            recv.clone()
        }
        (Obj::Builder(b), "deleteCharAt", 1) => {
            let i = want_int(&a0)?;
            let mut u = utf16(&b.borrow());
            if i < 0 || i as usize >= u.len() {
                return Err(str_index_oob(format!("index {i},length {}", u.len())));
            }
            u.remove(i as usize);
            *b.borrow_mut() = String::from_utf16_lossy(&u);
            recv.clone()
        }
        (Obj::Builder(b), "delete", 2) => {
            let (s, e) = (want_int(&a0)?, want_int(&a1)?);
            let mut u = utf16(&b.borrow());
            let e = (e.max(0) as usize).min(u.len());
            if s < 0 || s as usize > e {
                return Err(str_index_oob(format!(
                    "start {s}, end {e}, length {}",
                    u.len()
                )));
            }
            u.drain(s as usize..e);
            *b.borrow_mut() = String::from_utf16_lossy(&u);
            recv.clone()
        }
        (Obj::Builder(b), m, _) => {
            let s = JStr::Shared(Rc::from(b.borrow().as_str()));
            return string_method(it, &s, m, args);
        }
        (Obj::Entry(k, _, _), "getKey", 0) => k.clone(),
        (Obj::Entry(_, v, _), "getValue", 0) => v.borrow().clone(),
        (Obj::Entry(k, v, map), "setValue", 1) => {
            let old = std::mem::replace(&mut *v.borrow_mut(), a0.clone());
            if let Some(m) = map {
                m.borrow_mut().insert(K(k.clone()), a0);
            }
            old
        }
        (Obj::Pattern(re), "matcher", 1) => {
            let text = match &a0 {
                V::Str(s) => s.to_rc(),
                V::Null => {
                    return Err(Exc::npe(
                        "Cannot invoke \"java.lang.CharSequence.length()\" because \"this.text\" is null",
                    ));
                }
                other => Rc::from(other.to_java_string()),
            };
            V::obj(Obj::Matcher(RefCell::new(Matcher {
                re: re.clone(),
                text,
                groups: None,
                next: 0,
            })))
        }
        (Obj::Pattern(re), "split", _) => {
            let s = want_str(&a0, "split")?;
            let limit = if argc == 2 { want_int(&a1)? } else { 0 };
            V::Array(Rc::new(RefCell::new(
                re.split(&s, limit)?.iter().map(|p| V::str(p)).collect(),
            )))
        }
        (Obj::Pattern(re), "pattern", 0) => V::str(&re.source),
        (Obj::Matcher(m), _, _) => {
            let v = matcher_method(it, recv, m, name, args)?;
            budget::charge_fresh(&v)?;
            return Ok(v);
        }
        (Obj::Iter(st), "hasNext", 0) => {
            let st = st.borrow();
            V::Bool(st.pos < st.items.len())
        }
        (Obj::Iter(st), "next", 0) => {
            let mut st = st.borrow_mut();
            let i = st.pos;
            let v = st
                .items
                .get(i)
                .cloned()
                .ok_or_else(|| Exc::new("NoSuchElementException", ""))?;
            st.pos += 1;
            v
        }
        (Obj::Iter(st), "remove", 0) => {
            let mut st = st.borrow_mut();
            if st.pos == 0 {
                return Err(Exc::new("IllegalStateException", ""));
            }
            let last = st.items[st.pos - 1].clone();
            match &st.source {
                V::Map(m) => {
                    let key = match &last {
                        V::Obj(o) => match &**o {
                            Obj::Entry(k, _, _) => k.clone(),
                            _ => last.clone(),
                        },
                        _ => last.clone(),
                    };
                    m.borrow_mut().shift_remove(&K(key));
                }
                V::Set(set) => {
                    if let V::Obj(o) = &last
                        && let Obj::Entry(k, _, Some(m)) = &**o
                    {
                        m.borrow_mut().shift_remove(&K(k.clone()));
                    }
                    set.borrow_mut().shift_remove(&K(last));
                }
                V::List(l) => {
                    let idx = st.pos - 1 - st.removed;
                    if idx < l.borrow().len() {
                        l.borrow_mut().remove(idx);
                    }
                    st.removed += 1;
                }
                V::View(m, kind) => {
                    let key = match (&last, kind) {
                        (V::Obj(o), ViewKind::Entries) => match &**o {
                            Obj::Entry(k, _, _) => Some(k.clone()),
                            _ => None,
                        },
                        (_, ViewKind::Keys) => Some(last.clone()),
                        _ => m
                            .borrow()
                            .iter()
                            .find(|(_, v)| java_equals(v, &last))
                            .map(|(k, _)| k.0.clone()),
                    };
                    if let Some(k) = key {
                        m.borrow_mut().shift_remove(&K(k));
                    }
                }
                V::DocMap(_) | V::DocList(_) => return Err(read_only()),
                _ => return Err(Exc::new("UnsupportedOperationException", "remove")),
            }
            V::Null
        }
        (Obj::Tokenizer(st), "hasMoreTokens" | "hasMoreElements", 0) => {
            let st = st.borrow();
            V::Bool(st.1 < st.0.len())
        }
        (Obj::Tokenizer(st), "nextToken" | "nextElement", 0) => {
            let mut st = st.borrow_mut();
            let i = st.1;
            let v =
                st.0.get(i)
                    .cloned()
                    .ok_or_else(|| Exc::new("NoSuchElementException", ""))?;
            st.1 += 1;
            V::str(&v)
        }
        (Obj::Tokenizer(st), "countTokens", 0) => {
            let st = st.borrow();
            V::Int((st.0.len() - st.1.min(st.0.len())) as i32)
        }
        (Obj::Cidr(net, prefix), "contains", 1) => {
            let ip = match &a0 {
                V::Str(s) => s.clone(),
                V::Null => return Ok(V::Bool(false)),
                other => JStr::Shared(Rc::from(other.to_java_string())),
            };
            V::Bool(cidr_contains(net, *prefix, &ip)?)
        }
        (Obj::Exception(_, m), "getMessage" | "getLocalizedMessage", 0) => {
            m.as_deref().map(V::str).unwrap_or_default()
        }
        (Obj::Stream(items), _, _) => return stream_method(it, items, name, args),
        (Obj::Time(t), _, _) => return super::time::method(t, name, &args, it.now_year()),
        (Obj::Metadata(ctx, now), _, _) => {
            return super::ingest::metadata_method(ctx, *now, name, args);
        }
        (Obj::Field(path, root), _, _) => {
            return super::ingest::field_method(it, path, root, name, args);
        }
        (Obj::Func(_), "apply" | "test" | "accept" | "compare", _) => {
            return it.call_value(recv, args);
        }
        _ => return Err(no_method(recv, name, argc)),
    })
}

fn matcher_method<'a>(
    it: &mut Interp<'a>,
    recv: &V<'a>,
    m: &RefCell<Matcher>,
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let argc = args.len();
    let a0 = arg(&args, 0);
    let no_match = || Exc::new("IllegalStateException", "No match found");
    let mut mb = m.borrow_mut();
    let to_u16 = |text: &str, byte: usize| text[..byte].encode_utf16().count() as i32;
    Ok(match (name, argc) {
        ("matches", 0) => {
            let g = mb.re.captures_full(&mb.text)?;
            let ok = g.is_some();
            mb.groups = g;
            V::Bool(ok)
        }
        ("find", 0) | ("find", 1) => {
            if argc == 1 {
                let u = want_int(&a0)?;
                let units = utf16(&mb.text);
                if u < 0 || u as usize > units.len() {
                    return Err(Exc::new("IndexOutOfBoundsException", "Illegal start index"));
                }
                mb.next = String::from_utf16_lossy(&units[..u as usize]).len();
            }
            let start = mb.next;
            if start > mb.text.len() {
                mb.groups = None;
                return Ok(V::Bool(false));
            }
            let g = mb.re.captures_at(&mb.text, start)?;
            match g {
                Some(g) => {
                    let (s, e) = g.first().copied().flatten().unwrap_or((start, start));
                    mb.next = if e == s {
                        e + mb.text[e..].chars().next().map_or(1, char::len_utf8)
                    } else {
                        e
                    };
                    mb.groups = Some(g);
                    V::Bool(true)
                }
                None => {
                    mb.groups = None;
                    mb.next = mb.text.len() + 1;
                    V::Bool(false)
                }
            }
        }
        ("group", _) | ("namedGroup", 1) | ("start", _) | ("end", _) => {
            let groups = mb.groups.as_ref().ok_or_else(no_match)?;
            let idx = match (&a0, argc) {
                (_, 0) => 0,
                (V::Str(n), _) => mb
                    .re
                    .group_index(n)
                    .ok_or_else(|| Exc::iae(format!("No group with name <{n}>")))?,
                (v, _) => want_int(v)? as usize,
            };
            let span = groups
                .get(idx)
                .ok_or_else(|| Exc::new("IndexOutOfBoundsException", format!("No group {idx}")))?;
            match (name, span) {
                ("start", Some((s, _))) => V::Int(to_u16(&mb.text, *s)),
                ("end", Some((_, e))) => V::Int(to_u16(&mb.text, *e)),
                ("start" | "end", None) => V::Int(-1),
                (_, Some((s, e))) => V::str(&mb.text[*s..*e]),
                (_, None) => V::Null,
            }
        }
        ("groupCount", 0) => V::Int(mb.re.group_count() as i32),
        ("replaceAll", 1) | ("replaceFirst", 1) => {
            let all = name == "replaceAll";
            match &a0 {
                V::Str(r) => V::owned_str(mb.re.replace(&mb.text, r, all)?),
                f => {
                    let re = mb.re.clone();
                    let text = mb.text.clone();
                    drop(mb);
                    return replace_fn(it, &re, &text, f, all);
                }
            }
        }
        _ => return Err(no_method(recv, name, argc)),
    })
}

fn replace_fn<'a>(
    it: &mut Interp<'a>,
    re: &std::sync::Arc<JavaRegex>,
    text: &Rc<str>,
    f: &V<'a>,
    all: bool,
) -> Res<V<'a>> {
    let mut out = String::new();
    let mut last = 0;
    let mut pos = 0;
    while pos <= text.len() {
        let Some(g) = re.captures_at(text, pos)? else {
            break;
        };
        let Some((s, e)) = g.first().copied().flatten() else {
            break;
        };
        budget::push_checked(&mut out, &text[last..s])?;
        let m = V::obj(Obj::Matcher(RefCell::new(Matcher {
            re: re.clone(),
            text: text.clone(),
            groups: Some(g),
            next: e,
        })));
        let r = it.call_value(f, vec![m])?;
        budget::push_checked(&mut out, &r.to_java_string())?;
        last = e;
        pos = if e == s {
            e + text[e..].chars().next().map_or(1, char::len_utf8)
        } else {
            e
        };
        if !all {
            break;
        }
    }
    out.push_str(&text[last.min(text.len())..]);
    Ok(V::owned_str(out))
}

fn stream_method<'a>(
    it: &mut Interp<'a>,
    items: &[V<'a>],
    name: &str,
    args: Vec<V<'a>>,
) -> Res<V<'a>> {
    let argc = args.len();
    let a0 = arg(&args, 0);
    let stream = |v: Vec<V<'a>>| V::obj(Obj::Stream(v));
    Ok(match (name, argc) {
        ("filter", 1) => {
            let mut out = Vec::new();
            for v in items {
                if call_pred1(it, &a0, v.clone())? {
                    out.push(v.clone());
                }
            }
            stream(out)
        }
        ("map", 1) => {
            let mut out = Vec::new();
            for v in items {
                out.push(it.call_value1(&a0, v.clone())?);
            }
            stream(out)
        }
        ("flatMap", 1) => {
            let mut out = Vec::new();
            for v in items {
                let s = it.call_value1(&a0, v.clone())?;
                let more = it.iterate(&s)?;
                budget::growth(out.len().saturating_add(more.len()), more.len())?;
                out.extend(more);
            }
            stream(out)
        }
        ("distinct", 0) => {
            let mut seen: IndexSet<K<'a>, crate::value::HashState> = IndexSet::default();
            for v in items {
                seen.insert(K(v.clone()));
            }
            stream(seen.into_iter().map(|k| k.0).collect())
        }
        ("sorted", _) => {
            let mut v = items.to_vec();
            sort_values(it, &mut v, args.first())?;
            stream(v)
        }
        ("limit", 1) => {
            let n = want_long(&a0)?.max(0) as usize;
            stream(items.iter().take(n).cloned().collect())
        }
        ("skip", 1) => {
            let n = want_long(&a0)?.max(0) as usize;
            stream(items.iter().skip(n).cloned().collect())
        }
        ("count", 0) => V::Long(items.len() as i64),
        ("anyMatch", 1) | ("allMatch", 1) | ("noneMatch", 1) => {
            let mut any = false;
            let mut all = true;
            for v in items {
                if call_pred1(it, &a0, v.clone())? {
                    any = true;
                } else {
                    all = false;
                }
            }
            V::Bool(match name {
                "anyMatch" => any,
                "allMatch" => all,
                _ => !any,
            })
        }
        ("forEach", 1) => {
            for v in items {
                it.call_value1(&a0, v.clone())?;
            }
            V::Null
        }
        ("toList", 0) => {
            budget::elements(items.len())?;
            V::new_list(items.to_vec())
        }
        ("toArray", _) => {
            budget::elements(items.len())?;
            V::Array(Rc::new(RefCell::new(items.to_vec())))
        }
        ("collect", 1) => {
            let V::Obj(o) = &a0 else {
                return Err(Exc::cce(format!(
                    "Cannot cast {} to java.util.stream.Collector",
                    a0.class_name()
                )));
            };
            let Obj::Collector(c) = &**o else {
                return Err(Exc::cce(format!(
                    "Cannot cast {} to java.util.stream.Collector",
                    a0.class_name()
                )));
            };
            match c {
                Collector::List => {
                    budget::elements(items.len())?;
                    V::new_list(items.to_vec())
                }
                Collector::Set => {
                    budget::elements(items.len())?;
                    new_set(items.to_vec())
                }
                Collector::Joining(sep, pre, suf) => {
                    let mut s = String::new();
                    budget::push_str(&mut s, pre)?;
                    for (i, v) in items.iter().enumerate() {
                        if i > 0 {
                            budget::push_str(&mut s, sep)?;
                        }
                        budget::push_str(&mut s, &want_str(v, "length()")?)?;
                    }
                    budget::push_str(&mut s, suf)?;
                    V::owned_str(s)
                }
                Collector::Map(kf, vf) => {
                    let mut m = IndexMap::default();
                    for v in items {
                        let k = it.call_value(kf, vec![v.clone()])?;
                        let val = it.call_value(vf, vec![v.clone()])?;
                        if m.contains_key(&K(k.clone())) {
                            return Err(Exc::new(
                                "IllegalStateException",
                                format!("Duplicate key {}", k.to_java_string()),
                            ));
                        }
                        m.insert(K(k), val);
                    }
                    V::new_map(m)
                }
            }
        }
        _ => {
            return Err(Exc::iae(format!(
                "dynamic method [java.util.stream.ReferencePipeline, {name}/{argc}] not found"
            )));
        }
    })
}

/// A small `String.format`: `%s`, `%d`, `%x`, `%f` with width/precision, `%n`, `%%`.
fn java_format(fmt: &str, vals: &[V<'_>]) -> Res<String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut next = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        let conv = loop {
            match chars.next() {
                Some(x) if x.is_ascii_digit() || x == '.' || x == '-' || x == '0' => spec.push(x),
                Some(x) => break x,
                None => {
                    return Err(Exc::new(
                        "UnknownFormatConversionException",
                        "Conversion = '%'",
                    ));
                }
            }
        };
        let left = spec.starts_with('-');
        let zero = spec.starts_with('0');
        let spec = spec.trim_start_matches(['-', '0']);
        let (width, prec) = match spec.split_once('.') {
            Some((w, p)) => (w.parse::<usize>().ok(), p.parse::<usize>().ok()),
            None => (spec.parse::<usize>().ok(), None),
        };
        // A width or precision can ask for a huge string: check before padding.
        budget::string_growth(
            out.len()
                .saturating_add(width.unwrap_or(0))
                .saturating_add(prec.unwrap_or(0)),
            0,
        )?;
        let mut take = || {
            let v = vals.get(next).cloned().ok_or_else(|| {
                Exc::new(
                    "MissingFormatArgumentException",
                    format!("Format specifier '%{conv}'"),
                )
            });
            next += 1;
            v
        };
        let body = match conv {
            '%' => "%".to_string(),
            'n' => "\n".to_string(),
            's' | 'S' => {
                let s = take()?.to_java_string();
                let s = match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                };
                if conv == 'S' { s.to_uppercase() } else { s }
            }
            'd' => match take()? {
                v @ (V::Int(_) | V::Long(_) | V::Short(_) | V::Byte(_)) => v.to_java_string(),
                other => {
                    return Err(Exc::new(
                        "IllegalFormatConversionException",
                        format!("d != {}", other.class_name()),
                    ));
                }
            },
            'x' | 'X' => {
                let v = take()?;
                let s = match v {
                    V::Int(i) => format!("{:x}", i),
                    V::Long(l) => format!("{:x}", l),
                    other => {
                        return Err(Exc::new(
                            "IllegalFormatConversionException",
                            format!("x != {}", other.class_name()),
                        ));
                    }
                };
                if conv == 'X' { s.to_uppercase() } else { s }
            }
            'f' => {
                let v = take()?;
                let d = want_double(&v)?;
                format!("{:.*}", prec.unwrap_or(6), d)
            }
            other => {
                return Err(Exc::new(
                    "UnknownFormatConversionException",
                    format!("Conversion = '{other}'"),
                ));
            }
        };
        let w = width.unwrap_or(0);
        let len = body.chars().count();
        if len < w {
            let pad = w - len;
            if left {
                out.push_str(&body);
                out.extend(std::iter::repeat_n(' ', pad));
            } else if zero {
                let (sign, digits) = match body.strip_prefix('-') {
                    Some(d) => ("-", d),
                    None => ("", body.as_str()),
                };
                out.push_str(sign);
                out.extend(std::iter::repeat_n('0', pad));
                out.push_str(digits);
            } else {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    budget::string(out.len())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::class_name;

    #[test]
    fn class_names_resolve_by_painless_or_java_name() {
        for name in ["Map.Entry", "java.util.Map$Entry", "java.util.Map.Entry"] {
            assert_eq!(class_name(name), Some("Map.Entry"), "{name}");
        }
        assert_eq!(class_name("java.util.ArrayList"), Some("ArrayList"));
        assert_eq!(class_name("String"), Some("String"));
        for name in [
            "java.util.Map$Entr",
            "java.util.Map.Entryx",
            "Nope",
            "java$util.Map$Entry",
        ] {
            assert_eq!(class_name(name), None, "{name}");
        }
    }
}
