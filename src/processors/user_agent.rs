//! `user_agent`: parses a User-Agent string with the uap-core regexes Elasticsearch ships
//! (Elasticsearch's UserAgentProcessor, UserAgentParser and DeviceTypeParser).

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::resources::DEFAULT_USER_AGENT_REGEX_FILE;
use crate::value::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A regex compiled from java.util.regex syntax: the `regex` crate when it can, else fancy-regex.
#[derive(Debug)]
enum JavaRegex {
    Std(regex::Regex),
    Fancy(fancy_regex::Regex),
}

/// Rewrites Java's ASCII-only classes (`\d`, `\w`, `\s`) so Rust's Unicode engine matches the same.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let class = match e {
                    'd' => Some("0-9"),
                    'w' => Some("0-9A-Za-z_"),
                    's' => Some("\\t\\n\\x0B\\x0C\\r "),
                    _ => None,
                };
                match class {
                    Some(cl) if in_class > 0 => out.push_str(cl),
                    Some(cl) => {
                        out.push('[');
                        out.push_str(cl);
                        out.push(']');
                    }
                    None => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' => {
                in_class += 1;
                out.push(c);
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

impl JavaRegex {
    fn compile(pattern: &str, case_insensitive: bool) -> Result<JavaRegex, String> {
        let mut p = translate(pattern);
        if case_insensitive {
            p.insert_str(0, "(?i)");
        }
        match regex::Regex::new(&p) {
            Ok(r) => Ok(JavaRegex::Std(r)),
            Err(_) => fancy_regex::Regex::new(&p)
                .map(JavaRegex::Fancy)
                .map_err(|e| format!("cannot compile [{pattern}]: {e}")),
        }
    }

    /// `Matcher.find()`: the groups 1..=5 (None when not participating) and the group count.
    fn find(&self, text: &str) -> Option<(Vec<Option<String>>, usize)> {
        match self {
            JavaRegex::Std(r) => {
                let c = r.captures(text)?;
                let n = r.captures_len() - 1;
                Some((
                    (1..=5)
                        .map(|i| c.get(i).map(|m| m.as_str().to_string()))
                        .collect(),
                    n,
                ))
            }
            JavaRegex::Fancy(r) => {
                let c = r.captures(text).ok()??;
                let n = r.captures_len() - 1;
                Some((
                    (1..=5)
                        .map(|i| c.get(i).map(|m| m.as_str().to_string()))
                        .collect(),
                    n,
                ))
            }
        }
    }
}

/// One uap rule: a regex and optional replacements for name and versions.
#[derive(Debug)]
struct SubPattern {
    regex: LazyRegex,
    name: Option<String>,
    versions: [Option<String>; 4],
}

/// A matched name with its version parts (`VersionedName`).
#[derive(Debug, Default, Clone, PartialEq)]
struct Versioned {
    name: String,
    major: Option<String>,
    minor: Option<String>,
    patch: Option<String>,
    build: Option<String>,
}

/// `nameReplacement`: only `$1` is substituted, once (Elasticsearch's `replaceFirst`).
fn replace_name(replacement: &str, groups: &[Option<String>], count: usize) -> String {
    match groups.first() {
        Some(Some(g1)) if count >= 1 && replacement.contains("$1") => {
            replacement.replacen("$1", g1, 1)
        }
        _ => replacement.to_string(),
    }
}

/// A rule's regex, compiled the first time an agent gets that far down its list: most agents
/// match early, and compiling all 1,100 rules up front costs ~0.1 s per process. (Elasticsearch
/// compiles them at node start; the shipped file is known to compile: see the tests.)
#[derive(Debug)]
struct LazyRegex {
    pattern: String,
    case_insensitive: bool,
    compiled: OnceLock<Option<JavaRegex>>,
}

impl LazyRegex {
    fn new(pattern: String, case_insensitive: bool) -> LazyRegex {
        LazyRegex {
            pattern,
            case_insensitive,
            compiled: OnceLock::new(),
        }
    }

    /// The compiled regex; `None` (the rule never matches) if it does not compile.
    fn get(&self) -> Option<&JavaRegex> {
        self.compiled
            .get_or_init(|| JavaRegex::compile(&self.pattern, self.case_insensitive).ok())
            .as_ref()
    }

    fn find(&self, text: &str) -> Option<(Vec<Option<String>>, usize)> {
        self.get()?.find(text)
    }
}

impl SubPattern {
    fn matches(&self, agent: &str) -> Option<Versioned> {
        let (groups, count) = self.regex.find(agent)?;
        let group = |i: usize| {
            if count >= i {
                groups.get(i - 1).cloned().flatten()
            } else {
                None
            }
        };
        let name = match &self.name {
            Some(r) => Some(replace_name(r, &groups, count)),
            None => group(1),
        }?;
        // k is one of the constant indices below, all within the fixed-size versions array.
        let version = |k: usize| match &self.versions[k] {
            Some(v) => Some(v.clone()),
            None => group(k + 2),
        };
        Some(Versioned {
            name,
            major: version(0),
            minor: version(1),
            patch: version(2),
            build: version(3),
        })
    }
}

fn first_match(patterns: &[SubPattern], agent: &str) -> Option<Versioned> {
    patterns.iter().find_map(|p| p.matches(agent))
}

/// The compiled regex file plus device-type rules (`UserAgentParser` + `DeviceTypeParser`).
#[derive(Debug)]
struct UaParser {
    ua: Vec<SubPattern>,
    os: Vec<SubPattern>,
    device: Vec<SubPattern>,
    /// Device-type rules by list name: os, browser, device, agent string.
    types: [Vec<SubPattern>; 4],
    /// Agents already parsed.
    cache: UaCache,
}

/// One agent string, parsed (Elasticsearch's `UserAgentParser.Details`).
#[derive(Debug)]
struct Parsed {
    ua: Option<Versioned>,
    os: Option<Versioned>,
    device: Option<Versioned>,
    /// Computed the first time a processor with `extract_device_type` asks for it.
    device_type: OnceLock<String>,
}

/// Entries a parser keeps: Elasticsearch's `ingest.user_agent.cache_size` default.
const CACHE_SIZE: usize = 1000;

/// Parsed agents by agent string, least recently used evicted first (Elasticsearch's
/// UserAgentCache, 1000 entries per parser). Unlike Elasticsearch's, an entry made without the
/// device type computes it when a later processor asks, so results never depend on what ran
/// before (Elasticsearch would answer without a type from an entry cached by a processor that
/// did not extract it).
#[derive(Debug, Default)]
struct UaCache {
    /// A use counter, and the entries with the count at their last use.
    entries: Mutex<(u64, CacheMap)>,
}

/// Parsed agents by agent string, with the use count at their last use.
type CacheMap = HashMap<String, (Arc<Parsed>, u64)>;

impl UaCache {
    fn get_or_parse(&self, agent: &str, parse: impl FnOnce() -> Parsed) -> Arc<Parsed> {
        if let Ok(mut guard) = self.entries.lock() {
            let (tick, map) = &mut *guard;
            *tick += 1;
            if let Some((p, used)) = map.get_mut(agent) {
                *used = *tick;
                return p.clone();
            }
        }
        let parsed = Arc::new(parse());
        if let Ok(mut guard) = self.entries.lock() {
            let (tick, map) = &mut *guard;
            if map.len() >= CACHE_SIZE
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
            map.insert(agent.to_string(), (parsed.clone(), *tick));
        }
        parsed
    }
}

type Rules = Vec<(String, Vec<Map>)>;

/// The lists of rule maps in a uap-style YAML file, scalars read as text.
fn read_rules(text: &str) -> Result<Rules, String> {
    let v: serde_norway::Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    let serde_norway::Value::Mapping(top) = v else {
        return Err("not a valid regular expression file".into());
    };
    let scalar = |v: &serde_norway::Value| match v {
        serde_norway::Value::String(s) => Some(s.clone()),
        serde_norway::Value::Number(n) => Some(n.to_string()),
        serde_norway::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut out = Vec::new();
    for (k, list) in top {
        let (Some(k), serde_norway::Value::Sequence(items)) = (scalar(&k), list) else {
            continue;
        };
        let mut rules = Vec::new();
        for item in items {
            let serde_norway::Value::Mapping(m) = item else {
                return Err("malformed regular expression file, expecting 'object'".into());
            };
            let mut rule = Map::default();
            for (rk, rv) in m {
                if let (Some(rk), Some(rv)) = (scalar(&rk), scalar(&rv)) {
                    rule.insert(rk, Value::String(rv));
                }
            }
            rules.push(rule);
        }
        out.push((k, rules));
    }
    Ok(out)
}

fn text(rule: &Map, key: &str) -> Option<String> {
    rule.get(key).and_then(Value::as_str).map(str::to_string)
}

fn compile_list(
    rules: &[Map],
    name_key: &str,
    version_keys: [&str; 4],
) -> Result<Vec<SubPattern>, String> {
    rules
        .iter()
        .map(|r| {
            let regex = text(r, "regex").ok_or("rule without a regex")?;
            let ci = text(r, "regex_flag").as_deref() == Some("i");
            Ok(SubPattern {
                regex: LazyRegex::new(regex, ci),
                name: text(r, name_key),
                versions: version_keys.map(|k| if k.is_empty() { None } else { text(r, k) }),
            })
        })
        .collect()
}

impl UaParser {
    fn compile(regexes: &str, device_types: &str) -> Result<UaParser, String> {
        let mut p = UaParser {
            ua: Vec::new(),
            os: Vec::new(),
            device: Vec::new(),
            types: Default::default(),
            cache: UaCache::default(),
        };
        for (name, rules) in read_rules(regexes)? {
            match name.as_str() {
                "user_agent_parsers" => {
                    p.ua = compile_list(
                        &rules,
                        "family_replacement",
                        [
                            "v1_replacement",
                            "v2_replacement",
                            "v3_replacement",
                            "v4_replacement",
                        ],
                    )?
                }
                "os_parsers" => {
                    p.os = compile_list(
                        &rules,
                        "os_replacement",
                        [
                            "os_v1_replacement",
                            "os_v2_replacement",
                            "os_v3_replacement",
                            "os_v4_replacement",
                        ],
                    )?
                }
                "device_parsers" => {
                    p.device = compile_list(&rules, "device_replacement", ["", "", "", ""])?
                }
                _ => {}
            }
        }
        for (name, rules) in read_rules(device_types)? {
            let idx = match name.as_str() {
                "os_parsers" => 0,
                "browser_parsers" => 1,
                "device_parsers" => 2,
                "agent_string_parsers" => 3,
                _ => continue,
            };
            // idx is one of the constants 0..=3 of the match above; types holds four lists.
            p.types[idx] = compile_list(&rules, "replacement", ["", "", "", ""])?;
        }
        Ok(p)
    }

    /// `DeviceTypeParser.findDeviceType`.
    fn device_type(
        &self,
        agent: &str,
        ua: Option<&Versioned>,
        os: Option<&Versioned>,
        device: Option<&Versioned>,
    ) -> String {
        // types is a fixed array of four lists.
        if let Some(t) = first_match(&self.types[3], agent) {
            return t.name;
        }
        let found: Vec<String> = [os, ua, device]
            .iter()
            .zip(&self.types[..3])
            .filter_map(|(v, rules)| v.and_then(|v| first_match(rules, &v.name)).map(|t| t.name))
            .collect();
        ["Robot", "Tablet", "Phone", "Desktop"]
            .into_iter()
            .find(|t| found.iter().any(|f| f == t))
            .unwrap_or("Other")
            .to_string()
    }
}

/// The default parser, compiled once per process.
fn default_parser(regexes: &str, device_types: &str) -> Result<Arc<UaParser>, String> {
    static PARSER: OnceLock<Result<Arc<UaParser>, String>> = OnceLock::new();
    PARSER
        .get_or_init(|| UaParser::compile(regexes, device_types).map(Arc::new))
        .clone()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prop {
    Name,
    Os,
    Device,
    Original,
    Version,
}

const PROPS: [(Prop, &str); 5] = [
    (Prop::Name, "NAME"),
    (Prop::Os, "OS"),
    (Prop::Device, "DEVICE"),
    (Prop::Original, "ORIGINAL"),
    (Prop::Version, "VERSION"),
];

#[derive(Debug)]
struct UserAgent {
    field: FieldPath,
    target: FieldPath,
    parser: Arc<UaParser>,
    properties: Vec<Prop>,
    extract_device_type: bool,
    ignore_missing: bool,
    /// This processor's output per agent: it depends only on the agent and the options, so a
    /// repeated agent is a copy rather than a rebuild (versions joined, maps filled).
    built: super::Memo<String, Map>,
}

pub(crate) fn build(cfg: &mut Config, b: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_str("field")?;
    let field = FieldPath::parse(&field).map_err(|e| ConfigError::property("field", e.reason))?;
    let target = cfg.str_or("target_field", "user_agent")?;
    let target =
        FieldPath::parse(&target).map_err(|e| ConfigError::property("target_field", e.reason))?;
    let regex_file = cfg.str_or("regex_file", DEFAULT_USER_AGENT_REGEX_FILE)?;
    let names = cfg.opt_list("properties")?;
    let extract_device_type = cfg.bool_or("extract_device_type", false)?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let Some((regexes, device_types)) = b.resources.user_agent_regexes(&regex_file) else {
        return Err(ConfigError::property(
            "regex_file",
            format!("regex file [{regex_file}] doesn't exist (has to exist at node startup)"),
        )
        .into());
    };
    let parser = default_parser(regexes, device_types)
        .map_err(|e| ConfigError::property("regex_file", e))?;
    let properties = match names {
        None => PROPS.iter().map(|(p, _)| *p).collect(),
        Some(names) => {
            // EnumSet: declaration order, no duplicates.
            let mut wanted = Vec::new();
            for n in names {
                let text = n.to_java_string();
                let upper = text.to_uppercase();
                let Some((p, _)) = PROPS.iter().find(|(_, s)| *s == upper) else {
                    let all: Vec<&str> = PROPS.iter().map(|(_, s)| *s).collect();
                    return Err(ConfigError::property(
                        "properties",
                        format!(
                            "illegal property value [{text}]. valid values are [{}]",
                            all.join(", ")
                        ),
                    )
                    .into());
                };
                wanted.push(*p);
            }
            PROPS
                .iter()
                .map(|(p, _)| *p)
                .filter(|p| wanted.contains(p))
                .collect()
        }
    };
    Ok(Box::new(UserAgent {
        field,
        target,
        parser,
        properties,
        extract_device_type,
        ignore_missing,
        built: super::Memo::default(),
    }))
}

/// major(.minor(.patch(.build))) as Elasticsearch joins it; None without a major.
fn join_version(v: &Versioned) -> Option<String> {
    let mut s = v.major.clone()?;
    for part in [&v.minor, &v.patch, &v.build] {
        match part {
            Some(p) => {
                s.push('.');
                s.push_str(p);
            }
            None => break,
        }
    }
    Some(s)
}

impl UserAgent {
    fn details(&self, agent: &str) -> Map {
        let p = &self.parser;
        let parsed = p.cache.get_or_parse(agent, || Parsed {
            ua: first_match(&p.ua, agent),
            os: first_match(&p.os, agent),
            device: first_match(&p.device, agent),
            device_type: OnceLock::new(),
        });
        let (ua, os, device) = (&parsed.ua, &parsed.os, &parsed.device);
        let device_type = self.extract_device_type.then(|| {
            parsed
                .device_type
                .get_or_init(|| p.device_type(agent, ua.as_ref(), os.as_ref(), device.as_ref()))
        });
        let mut out = Map::with_capacity_and_hasher(self.properties.len(), Default::default());
        for prop in &self.properties {
            match prop {
                Prop::Original => {
                    out.insert("original".into(), Value::from(agent));
                }
                Prop::Name => {
                    let name = ua.as_ref().map(|u| u.name.as_str()).unwrap_or("Other");
                    out.insert("name".into(), Value::from(name));
                }
                Prop::Version => {
                    if let Some(v) = ua.as_ref().and_then(join_version) {
                        out.insert("version".into(), Value::String(v));
                    }
                }
                Prop::Os => {
                    if let Some(o) = os {
                        let mut m = Map::default();
                        m.insert("name".into(), Value::from(o.name.as_str()));
                        if let Some(v) = join_version(o) {
                            m.insert("full".into(), Value::String(format!("{} {v}", o.name)));
                            m.insert("version".into(), Value::String(v));
                        }
                        out.insert("os".into(), Value::Map(m));
                    }
                }
                Prop::Device => {
                    let mut m = Map::default();
                    let name = device.as_ref().map(|d| d.name.as_str()).unwrap_or("Other");
                    m.insert("name".into(), Value::from(name));
                    if let Some(t) = &device_type {
                        m.insert("type".into(), Value::from(t.as_str()));
                    }
                    out.insert("device".into(), Value::Map(m));
                }
            }
        }
        out
    }
}

impl Processor for UserAgent {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let details = match doc.get_string(&self.field, self.ignore_missing)? {
            // The output depends only on the agent and the options: a repeated agent is a copy.
            Some(agent) => self
                .built
                .get_or_build(agent, || Ok::<_, IngestError>(self.details(agent)))?,
            None if self.ignore_missing => return Ok(Flow::Continue),
            None => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{}] is null, cannot parse user-agent.",
                    self.field
                )));
            }
        };
        doc.set(&self.target, Value::Map(details))?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};
    use crate::resources::Resources;

    fn parser() -> Arc<UaParser> {
        let (a, b) = Resources::new()
            .user_agent_regexes(DEFAULT_USER_AGENT_REGEX_FILE)
            .unwrap();
        default_parser(a, b).unwrap()
    }

    #[test]
    fn every_shipped_regex_compiles() {
        let p = parser();
        assert_eq!((p.ua.len(), p.os.len(), p.device.len()), (323, 164, 616));
        let fancy =
            p.ua.iter()
                .chain(&p.os)
                .chain(&p.device)
                .filter(|s| {
                    let re = s.regex.get();
                    assert!(re.is_some(), "[{}] does not compile", s.regex.pattern);
                    matches!(re, Some(JavaRegex::Fancy(_)))
                })
                .count();
        assert!(fancy < 20, "{fancy} regexes need fancy-regex");
    }

    #[test]
    fn cache_keeps_at_most_its_size_and_evicts_the_least_recent() {
        let cache = UaCache::default();
        let blank = || Parsed {
            ua: None,
            os: None,
            device: None,
            device_type: OnceLock::new(),
        };
        let first = cache.get_or_parse("agent 0", blank);
        for i in 1..CACHE_SIZE + 10 {
            // Keep "agent 0" recent: it must survive every eviction.
            assert!(Arc::ptr_eq(&first, &cache.get_or_parse("agent 0", blank)));
            cache.get_or_parse(&format!("agent {i}"), blank);
        }
        let map = &cache.entries.lock().unwrap().1;
        assert_eq!(map.len(), CACHE_SIZE);
        assert!(map.contains_key("agent 0"));
        assert!(!map.contains_key("agent 1"));
        assert!(map.contains_key(&format!("agent {}", CACHE_SIZE + 9)));
    }

    #[test]
    fn cached_agents_get_a_device_type_when_later_asked() {
        let agent = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let input = format!(r#"{{"ua":"{agent}"}}"#);
        let want = |ty: &str| {
            format!(r#"{{"ua":"{agent}","user_agent":{{"device":{{"name":"Spider"{ty}}}}}}}"#)
        };
        // The same agent, cached first by a processor without the device type.
        let plain = r#"{"field":"ua","properties":["device"]}"#;
        let typed = r#"{"field":"ua","properties":["device"],"extract_device_type":true}"#;
        give("user_agent", plain, &input, &want(""));
        give("user_agent", typed, &input, &want(r#","type":"Robot""#));
        give("user_agent", plain, &input, &want(""));
    }

    #[test]
    fn translation_keeps_java_ascii_classes() {
        assert_eq!(
            translate(r"(\d+)[\d.]\w\/"),
            r"([0-9]+)[0-9.][0-9A-Za-z_]\/"
        );
        let r = JavaRegex::compile(r"^(\d+)$", false).unwrap();
        assert!(r.find("١٢").is_none());
    }

    #[test]
    fn a_repeated_agent_gets_the_same_output_from_the_processor_cache() {
        use crate::processors::testing::{execute, pipeline};
        let p = pipeline("user_agent", r#"{"field":"ua","extract_device_type":true}"#).unwrap();
        let run = |doc: &str| execute(&p, doc).map(|(_, d)| Value::Map(d.into_source()).to_json());
        let chrome = r#"{"ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}"#;
        let bot =
            r#"{"ua":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}"#;
        let (first_chrome, first_bot) = (run(chrome).unwrap(), run(bot).unwrap());
        assert_ne!(first_chrome, first_bot);
        assert!(
            first_chrome.contains(r#""name":"Chrome""#),
            "{first_chrome}"
        );
        assert_eq!(run(chrome).unwrap(), first_chrome);
        assert_eq!(run(bot).unwrap(), first_bot);
    }

    #[test]
    fn parses_like_elasticsearch() {
        give(
            "user_agent",
            r#"{"field":"ua"}"#,
            r#"{"ua":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/33.0.1750.149 Safari/537.36"}"#,
            r#"{"ua":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/33.0.1750.149 Safari/537.36",
                "user_agent":{"name":"Chrome","version":"33.0.1750.149","original":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/33.0.1750.149 Safari/537.36",
                "os":{"name":"Mac OS X","version":"10.9.2","full":"Mac OS X 10.9.2"},"device":{"name":"Mac"}}}"#,
        );
        give(
            "user_agent",
            r#"{"field":"ua","target_field":"u","properties":["name","device"],"extract_device_type":true}"#,
            r#"{"ua":"nothing known"}"#,
            r#"{"ua":"nothing known","u":{"name":"Other","device":{"name":"Other","type":"Other"}}}"#,
        );
        give(
            "user_agent",
            r#"{"field":"ua","properties":["device"],"extract_device_type":true}"#,
            r#"{"ua":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}"#,
            r#"{"ua":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)","user_agent":{"device":{"name":"Spider","type":"Robot"}}}"#,
        );
        give(
            "user_agent",
            r#"{"field":"ua","ignore_missing":true}"#,
            "{}",
            "{}",
        );
    }

    /// Real Elasticsearch outputs in the corpus: `user_agent` objects next to their `original`.
    #[test]
    fn matches_corpus_outputs() {
        let corpus =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/packages");
        if !corpus.is_dir() {
            println!("skipped: {} is absent", corpus.display());
            return;
        }
        let (a, b) = Resources::new()
            .user_agent_regexes(DEFAULT_USER_AGENT_REGEX_FILE)
            .unwrap();
        let ua = UserAgent {
            field: FieldPath::parse("x").unwrap(),
            target: FieldPath::parse("y").unwrap(),
            parser: default_parser(a, b).unwrap(),
            properties: PROPS.iter().map(|(p, _)| *p).collect(),
            extract_device_type: false,
            ignore_missing: false,
            built: crate::processors::Memo::default(),
        };
        let (mut checked, mut mismatches) = (0, Vec::new());
        for entry in walkdir::WalkDir::new(&corpus)
            .into_iter()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if !path.to_string_lossy().ends_with("-expected.json") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let Ok(Value::Map(top)) = Value::from_json_str(&text) else {
                continue;
            };
            let Some(Value::List(docs)) = top.get("expected") else {
                continue;
            };
            for d in docs {
                let Some(Value::Map(want)) = d.as_map().and_then(|m| m.get("user_agent")) else {
                    continue;
                };
                let (Some(Value::String(original)), Some(Value::String(_))) =
                    (want.get("original"), want.get("name"))
                else {
                    continue;
                };
                checked += 1;
                let got = ua.details(original);
                // Pipelines may add or drop keys afterwards: compare the keys both have.
                let differs: Vec<String> = got
                    .iter()
                    .filter(|(k, v)| want.get(*k).is_some_and(|w| w != *v))
                    .map(|(k, v)| {
                        format!(
                            "{k}: got {} want {}",
                            v.to_json(),
                            want[k.as_str()].to_json()
                        )
                    })
                    .collect();
                if !differs.is_empty() {
                    mismatches.push(format!(
                        "{}: {original}: {}",
                        path.display(),
                        differs.join("; ")
                    ));
                }
            }
        }
        assert!(checked > 50, "only {checked} corpus values checked");
        assert!(
            mismatches.is_empty(),
            "{} of {checked} differ:\n{}",
            mismatches.len(),
            mismatches
                .iter()
                .take(15)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn errors() {
        fails(
            "user_agent",
            r#"{"field":"ua"}"#,
            r#"{"ua":null}"#,
            "field [ua] is null, cannot parse user-agent.",
        );
        fails(
            "user_agent",
            r#"{"field":"ua"}"#,
            r#"{"ua":1}"#,
            "field [ua] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        bad_config(
            "user_agent",
            r#"{"field":"ua","regex_file":"custom.yml"}"#,
            "[regex_file] regex file [custom.yml] doesn't exist (has to exist at node startup)",
        );
        bad_config(
            "user_agent",
            r#"{"field":"ua","properties":["bogus"]}"#,
            "[properties] illegal property value [bogus]. valid values are [NAME, OS, DEVICE, ORIGINAL, VERSION]",
        );
    }
}
