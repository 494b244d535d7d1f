//! The Mustache subset ingest pipelines use, compiled once when a pipeline loads.

use crate::document::IngestDocument;
use crate::value::{Map, Value};

/// How `{{x}}` escapes what it renders (`{{{x}}}` never escapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escape {
    /// `application/json`: JSON string escapes (the default).
    #[default]
    Json,
    /// `text/plain`: no escaping.
    Plain,
    /// `application/x-www-form-urlencoded`: URL encoding.
    Url,
}

impl Escape {
    /// The escaping for a `media_type` option value.
    pub fn from_media_type(mt: &str) -> Option<Escape> {
        match mt {
            "application/json" => Some(Escape::Json),
            "text/plain" => Some(Escape::Plain),
            "application/x-www-form-urlencoded" => Some(Escape::Url),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Var {
        path: Vec<String>,
        escape: bool,
    },
    Section {
        path: Vec<String>,
        inverted: bool,
        body: Vec<Node>,
    },
}

/// A compiled template: a plain string when it holds no `{{`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    nodes: Option<Vec<Node>>,
    escape: Escape,
}

impl Template {
    /// Compiles `source`; strings without `{{` are constants, as in Elasticsearch.
    pub fn compile(source: &str) -> Result<Template, String> {
        Self::compile_with(source, Escape::Json)
    }

    /// Compiles with a given escaping for `{{x}}`.
    pub fn compile_with(source: &str, escape: Escape) -> Result<Template, String> {
        if !source.contains("{{") {
            return Ok(Template {
                source: source.to_string(),
                nodes: None,
                escape,
            });
        }
        let mut pos = 0;
        let nodes = parse(source, &mut pos, None)?;
        Ok(Template {
            source: source.to_string(),
            nodes: Some(nodes),
            escape,
        })
    }

    /// The template text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when rendering depends on the document.
    pub fn is_dynamic(&self) -> bool {
        self.nodes.is_some()
    }

    /// Renders against a document (source, metadata, `_source`, `_ingest`).
    pub fn render(&self, doc: &IngestDocument) -> String {
        match &self.nodes {
            None => self.source.clone(),
            Some(nodes) => {
                let mut out = String::new();
                let mut scopes: Vec<&Value> = Vec::new();
                render_nodes(nodes, doc, &mut scopes, self.escape, &mut out);
                out
            }
        }
    }
}

fn parse(src: &str, pos: &mut usize, closing: Option<&str>) -> Result<Vec<Node>, String> {
    let mut nodes = Vec::new();
    loop {
        // *pos is 0 or just past an ASCII "}}"/"}}}": a char boundary within src.
        let rest = &src[*pos..];
        let Some(open) = rest.find("{{") else {
            if let Some(name) = closing {
                return Err(format!("unclosed section [{name}] in template [{src}]"));
            }
            if !rest.is_empty() {
                nodes.push(Node::Text(rest.to_string()));
            }
            *pos = src.len();
            return Ok(nodes);
        };
        if open > 0 {
            // open is where an ASCII "{{" starts: a char boundary.
            nodes.push(Node::Text(rest[..open].to_string()));
        }
        let tag_start = *pos + open;
        // tag_start is at the "{{" found above: a char boundary.
        let triple = src[tag_start..].starts_with("{{{");
        let (inner_start, close_pat) = if triple {
            (tag_start + 3, "}}}")
        } else {
            (tag_start + 2, "}}")
        };
        // inner_start is just past the ASCII "{{" or "{{{" (triple checked it is there).
        let Some(close_rel) = src[inner_start..].find(close_pat) else {
            return Err(format!("unclosed tag in template [{src}]"));
        };
        // The end is where the ASCII close pattern starts: a char boundary.
        let inner = src[inner_start..inner_start + close_rel].trim();
        *pos = inner_start + close_rel + close_pat.len();
        if triple {
            nodes.push(Node::Var {
                path: split_name(inner),
                escape: false,
            });
            continue;
        }
        let (sigil, name) = match inner.chars().next() {
            // The sigil is one ASCII byte, so 1 is a char boundary.
            Some(c @ ('#' | '^' | '/' | '&' | '!')) => (Some(c), inner[1..].trim()),
            _ => (None, inner),
        };
        match sigil {
            Some('!') => {}
            Some('&') => nodes.push(Node::Var {
                path: split_name(name),
                escape: false,
            }),
            Some(c @ ('#' | '^')) => {
                let body = parse(src, pos, Some(name))?;
                nodes.push(Node::Section {
                    path: split_name(name),
                    inverted: c == '^',
                    body,
                });
            }
            Some('/') => {
                return match closing {
                    Some(open_name) if open_name == name => Ok(nodes),
                    _ => Err(format!(
                        "mismatched section end [{name}] in template [{src}]"
                    )),
                };
            }
            _ => nodes.push(Node::Var {
                path: split_name(name),
                escape: true,
            }),
        }
    }
}

fn split_name(name: &str) -> Vec<String> {
    if name == "." {
        return vec![".".to_string()];
    }
    name.split('.').map(str::to_string).collect()
}

fn lookup<'a>(path: &[String], doc: &'a IngestDocument, scopes: &[&'a Value]) -> Option<&'a Value> {
    // path[0] is only read when path.len() == 1.
    if path.len() == 1 && path[0] == "." {
        return scopes.last().copied();
    }
    let (first, rest) = path.split_first()?;
    // Innermost section scope first, then the document.
    for scope in scopes.iter().rev() {
        if let Some(v) = child(scope, first) {
            return walk(v, rest);
        }
    }
    let start: &Value = match first.as_str() {
        "_ingest" => return walk_map(&doc.ingest, rest),
        "_source" => return walk_map(&doc.ctx, rest),
        key => doc.ctx.get(key)?,
    };
    walk(start, rest)
}

fn walk_map<'a>(m: &'a Map, rest: &[String]) -> Option<&'a Value> {
    let (first, rest) = rest.split_first()?;
    walk(m.get(first.as_str())?, rest)
}

fn walk<'a>(mut v: &'a Value, rest: &[String]) -> Option<&'a Value> {
    for part in rest {
        v = child(v, part)?;
    }
    Some(v)
}

fn child<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Map(m) => m.get(key),
        Value::List(l) => key.parse::<usize>().ok().and_then(|i| l.get(i)),
        _ => None,
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::List(l)) => !l.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        _ => true,
    }
}

fn render_nodes<'a>(
    nodes: &[Node],
    doc: &'a IngestDocument,
    scopes: &mut Vec<&'a Value>,
    escape: Escape,
    out: &mut String,
) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Var { path, escape: esc } => {
                if let Some(v) = lookup(path, doc, scopes) {
                    let text = match v {
                        Value::Null => continue,
                        Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
                        // ES's mustache wraps a collection in a map from index to item
                        // (CustomReflectionObjectHandler.CollectionMap): `{0=a, 1=b}`.
                        Value::List(items) => std::borrow::Cow::Owned(collection_map_string(items)),
                        other => std::borrow::Cow::Owned(other.to_java_string()),
                    };
                    if *esc {
                        escape_into(&text, escape, out);
                    } else {
                        out.push_str(&text);
                    }
                }
            }
            Node::Section {
                path,
                inverted,
                body,
            } => {
                let v = lookup(path, doc, scopes);
                if *inverted {
                    if !truthy(v) {
                        render_nodes(body, doc, scopes, escape, out);
                    }
                    continue;
                }
                if !truthy(v) {
                    continue;
                }
                match v {
                    Some(Value::List(items)) => {
                        for item in items {
                            scopes.push(item);
                            render_nodes(body, doc, scopes, escape, out);
                            scopes.pop();
                        }
                    }
                    Some(other) => {
                        scopes.push(other);
                        render_nodes(body, doc, scopes, escape, out);
                        scopes.pop();
                    }
                    None => {}
                }
            }
        }
    }
}

/// `AbstractMap.toString` of a list seen as `{index=item}` (items in Java toString).
fn collection_map_string(items: &[Value]) -> String {
    let mut out = String::from("{");
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("{i}={}", v.to_java_string()));
    }
    out.push('}');
    out
}

fn escape_into(s: &str, escape: Escape, out: &mut String) {
    match escape {
        Escape::Plain => out.push_str(s),
        Escape::Json => {
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    c if (c as u32) < 0x20 => {
                        out.push_str(&format!("\\u{:04X}", c as u32));
                    }
                    c => out.push(c),
                }
            }
        }
        Escape::Url => {
            for b in s.bytes() {
                match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                        out.push(b as char)
                    }
                    b' ' => out.push('+'),
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
        }
    }
}

/// A `value` option of set/append: literal values with templated strings inside, rendered per document.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSource {
    /// A value with no template in it.
    Literal(Value),
    /// A templated string; renders to a String.
    Template(Template),
    /// A list whose items may hold templates.
    List(Vec<ValueSource>),
    /// A map whose keys and values may hold templates.
    Map(Vec<(Template, ValueSource)>),
}

impl ValueSource {
    /// Wraps a configured value, compiling every string that holds `{{`.
    pub fn compile(v: &Value, escape: Escape) -> Result<ValueSource, String> {
        Ok(match v {
            Value::String(s) if s.contains("{{") => {
                ValueSource::Template(Template::compile_with(s, escape)?)
            }
            Value::List(l) if contains_template(v) => ValueSource::List(
                l.iter()
                    .map(|x| ValueSource::compile(x, escape))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(m) if contains_template(v) => ValueSource::Map(
                m.iter()
                    .map(|(k, x)| {
                        Ok((
                            Template::compile_with(k, escape)?,
                            ValueSource::compile(x, escape)?,
                        ))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            other => ValueSource::Literal(other.clone()),
        })
    }

    /// The value for this document.
    pub fn render(&self, doc: &IngestDocument) -> Value {
        match self {
            ValueSource::Literal(v) => v.clone(),
            ValueSource::Template(t) => Value::String(t.render(doc)),
            ValueSource::List(l) => Value::List(l.iter().map(|x| x.render(doc)).collect()),
            ValueSource::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, x)| (k.render(doc), x.render(doc)))
                    .collect(),
            ),
        }
    }

    /// True when this source is a single templated string.
    pub fn is_template(&self) -> bool {
        matches!(self, ValueSource::Template(_))
    }
}

fn contains_template(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{"),
        Value::List(l) => l.iter().any(contains_template),
        Value::Map(m) => m
            .iter()
            .any(|(k, x)| k.contains("{{") || contains_template(x)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> IngestDocument {
        let Value::Map(m) =
            Value::from_json_str(r#"{"a":{"b":"x\"y"},"n":3,"d":1.0,"l":["p","q"],"bs":"\\"}"#)
                .unwrap()
        else {
            panic!()
        };
        IngestDocument::new(m, "2024-01-01T00:00:00.000Z")
    }

    fn give(t: &str, out: &str) {
        assert_eq!(Template::compile(t).unwrap().render(&doc()), out, "{t}");
    }

    #[test]
    fn renders_like_ingest_mustache() {
        give("plain", "plain");
        give("{{a.b}}", "x\\\"y");
        // A list is rendered as ES's mustache CollectionMap: `{index=item}`.
        give("{{{l}}}", "{0=p, 1=q}");
        give("{{l.1}}", "q");
        give("{{{a.b}}}", "x\"y");
        give("{{& a.b}}", "x\"y");
        give("{{ n }}-{{d}}", "3-1.0");
        give("{{missing}}!", "!");
        give("{{l.1}}", "q");
        give("{{_source.n}}", "3");
        give("{{_ingest.timestamp}}", "2024-01-01T00:00:00.000Z");
        give("{{_index}}", "_index");
        give("{{bs}}", "\\\\");
        give("{{#l}}<{{.}}>{{/l}}", "<p><q>");
        give("{{^missing}}none{{/missing}}", "none");
    }

    #[test]
    fn value_sources_render_nested_templates() {
        let v = Value::from_json_str(r#"{"k{{n}}":["{{n}}",1]}"#).unwrap();
        let vs = ValueSource::compile(&v, Escape::Json).unwrap();
        assert_eq!(vs.render(&doc()).to_json(), r#"{"k3":["3",1]}"#);
    }
}
