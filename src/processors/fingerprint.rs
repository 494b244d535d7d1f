//! `fingerprint`: hashes the values of chosen fields into a base64 digest
//! (Elasticsearch's FingerprintProcessor, byte-for-byte).

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;
use base64::Engine as _;
use sha1::Digest as _;

/// The methods Elasticsearch accepts, in its order (used in the error message).
const METHODS: [&str; 5] = ["MD5", "SHA-1", "SHA-256", "SHA-512", "MurmurHash3"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Md5,
    Sha1,
    Sha256,
    Sha512,
    Murmur3,
}

#[derive(Debug)]
struct Fingerprint {
    /// Sorted as Elasticsearch sorts them (natural String order).
    fields: Vec<FieldPath>,
    target: FieldRef,
    salt: Vec<u8>,
    method: Method,
    ignore_missing: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let fields = cfg
        .opt_list("fields")?
        .ok_or_else(|| crate::pipeline::missing("fields"))?;
    if fields.is_empty() {
        return Err(ConfigError::property("fields", "must specify at least one field").into());
    }
    let mut names: Vec<String> = fields.iter().map(Value::to_java_string).collect();
    names.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    let fields = names
        .iter()
        .map(|n| FieldPath::parse(n).map_err(|e| ConfigError::property("fields", e.reason)))
        .collect::<Result<Vec<_>, _>>()?;
    let target = FieldRef::new("target_field", &cfg.str_or("target_field", "fingerprint")?)?;
    let salt = cfg.str_or("salt", "")?;
    // Strings.hasText: a blank salt counts as none.
    let salt = if salt.chars().all(char::is_whitespace) {
        Vec::new()
    } else {
        salt.into_bytes()
    };
    let method_name = cfg.str_or("method", "SHA-1")?;
    let method = match method_name.as_str() {
        "MD5" => Method::Md5,
        "SHA-1" => Method::Sha1,
        "SHA-256" => Method::Sha256,
        "SHA-512" => Method::Sha512,
        "MurmurHash3" => Method::Murmur3,
        other => {
            return Err(ConfigError::property(
                "method",
                format!(
                    "[{other}] must be one of the supported hash methods [{}]",
                    METHODS.join(",")
                ),
            )
            .into());
        }
    };
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    Ok(Box::new(Fingerprint {
        fields,
        target,
        salt,
        method,
        ignore_missing,
    }))
}

/// One item of Elasticsearch's traversal stack: a value, or a map entry (key, then value).
enum Item<'a> {
    Value(&'a Value),
    Entry(&'a str, &'a Value),
}

/// The bytes Elasticsearch feeds the hasher for one leaf value (`FingerprintProcessor.toBytes`).
fn leaf_bytes(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => {}
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Int(i) => out.extend_from_slice(&i.to_le_bytes()),
        Value::Long(l) => out.extend_from_slice(&l.to_le_bytes()),
        Value::Float(f) => out.extend_from_slice(&f.to_bits().to_le_bytes()),
        Value::Double(d) => out.extend_from_slice(&d.to_bits().to_le_bytes()),
        Value::Bool(b) => out.push(if *b { 1 } else { 2 }),
        // Containers are expanded by the traversal, never serialized here.
        Value::List(_) | Value::Map(_) => {}
    }
}

/// The whole hash input: the salt, then each value depth-first, map entries in key order.
fn hash_input(salt: &[u8], values: &[&Value]) -> Vec<u8> {
    let mut out = salt.to_vec();
    let mut stack: Vec<Item<'_>> = values.iter().rev().map(|v| Item::Value(v)).collect();
    while let Some(item) = stack.pop() {
        match item {
            Item::Value(Value::List(l)) => stack.extend(l.iter().rev().map(Item::Value)),
            Item::Value(Value::Map(m)) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                stack.extend(entries.into_iter().rev().map(|(k, v)| Item::Entry(k, v)));
            }
            Item::Entry(k, v) => {
                out.push(0);
                out.extend_from_slice(k.as_bytes());
                stack.push(Item::Value(v));
            }
            Item::Value(v) => {
                out.push(0);
                leaf_bytes(v, &mut out);
            }
        }
    }
    out
}

fn digest(method: Method, input: &[u8]) -> Vec<u8> {
    match method {
        Method::Md5 => md5::Md5::digest(input).to_vec(),
        Method::Sha1 => sha1::Sha1::digest(input).to_vec(),
        Method::Sha256 => sha2::Sha256::digest(input).to_vec(),
        Method::Sha512 => sha2::Sha512::digest(input).to_vec(),
        Method::Murmur3 => {
            let (h1, h2) = murmur3_x64_128(input, 0);
            let mut out = h1.to_be_bytes().to_vec();
            out.extend_from_slice(&h2.to_be_bytes());
            out
        }
    }
}

/// MurmurHash3 x64 128-bit (Elasticsearch's `MurmurHash3.hash128` with `Murmur3Hasher`).
fn murmur3_x64_128(data: &[u8], seed: u64) -> (u64, u64) {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    fn fmix(mut k: u64) -> u64 {
        k ^= k >> 33;
        k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
        k ^= k >> 33;
        k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        k ^ (k >> 33)
    }
    let (mut h1, mut h2) = (seed, seed);
    let mut chunks = data.chunks_exact(16);
    for block in &mut chunks {
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        // chunks_exact(16) blocks are 16 bytes: two halves of 8.
        a.copy_from_slice(&block[..8]);
        b.copy_from_slice(&block[8..]);
        let k1 = u64::from_le_bytes(a)
            .wrapping_mul(C1)
            .rotate_left(31)
            .wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        let k2 = u64::from_le_bytes(b)
            .wrapping_mul(C2)
            .rotate_left(33)
            .wrapping_mul(C1);
        h2 ^= k2;
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = chunks.remainder();
    let (mut k1, mut k2) = (0u64, 0u64);
    for (i, &byte) in tail.iter().enumerate() {
        if i < 8 {
            k1 |= (byte as u64) << (8 * i);
        } else {
            k2 |= (byte as u64) << (8 * (i - 8));
        }
    }
    if tail.len() > 8 {
        h2 ^= k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
    }
    if !tail.is_empty() {
        h1 ^= k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

impl Processor for Fingerprint {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let mut values: Vec<&Value> = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            match doc.get_opt(field) {
                Some(v) if !v.is_null() => values.push(v),
                _ if self.ignore_missing => {}
                _ => {
                    return Err(IngestError::illegal_argument(format!(
                        "missing field [{field}] when calculating fingerprint"
                    )));
                }
            }
        }
        if values.is_empty() {
            return Ok(Flow::Continue);
        }
        let input = hash_input(&self.salt, &values);
        let encoded = base64::engine::general_purpose::STANDARD.encode(digest(self.method, &input));
        let target = self.target.resolve(doc)?;
        doc.set(&target, Value::String(encoded))?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give, run};

    #[test]
    fn murmur3_matches_reference_vectors() {
        // Reference values of MurmurHash3_x64_128 (seed 0).
        assert_eq!(murmur3_x64_128(b"", 0), (0, 0));
        assert_eq!(
            murmur3_x64_128(b"hello", 0),
            (0xcbd8_a7b3_41bd_9b02, 0x5b1e_906a_48ae_1d19)
        );
        assert_eq!(
            murmur3_x64_128(b"The quick brown fox jumps over the lazy dog", 0),
            (0xe34b_bc7b_bc07_1b6c, 0x7a43_3ca9_c49a_9347)
        );
    }

    #[test]
    fn hash_input_is_typed_and_sorted() {
        let v = Value::from_json_str(r#"{"b":[1,true],"a":"x"}"#).unwrap();
        let got = hash_input(b"s", &[&v]);
        let mut want = b"s".to_vec();
        want.extend_from_slice(b"\0a\0x\0b");
        want.extend_from_slice(&[0, 1, 0, 0, 0]);
        want.extend_from_slice(&[0, 1]);
        assert_eq!(got, want);
        assert_eq!(
            hash_input(b"", &[&Value::Long(1), &Value::Double(1.0), &Value::Null]),
            [
                vec![0, 1, 0, 0, 0, 0, 0, 0, 0],
                vec![0],
                1.0f64.to_bits().to_le_bytes().to_vec(),
                vec![0]
            ]
            .concat()
        );
    }

    #[test]
    fn digests_are_base64_of_the_typed_input() {
        // SHA-1 of "\0foo" (a single string field, no salt).
        let sha1 = base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(b"\0foo"));
        give(
            "fingerprint",
            r#"{"fields":["a"]}"#,
            r#"{"a":"foo"}"#,
            &format!(r#"{{"a":"foo","fingerprint":"{sha1}"}}"#),
        );
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"salt\0foo"));
        give(
            "fingerprint",
            r#"{"fields":["a"],"method":"MD5","salt":"salt","target_field":"x.y"}"#,
            r#"{"a":"foo"}"#,
            &format!(r#"{{"a":"foo","x":{{"y":"{md5}"}}}}"#),
        );
        let out = run(
            "fingerprint",
            r#"{"fields":["a"],"method":"MurmurHash3"}"#,
            r#"{"a":"foo"}"#,
        )
        .unwrap();
        assert!(out.contains(r#""fingerprint":""#), "{out}");
        // Field order in the option does not matter: fields are sorted.
        assert_eq!(
            run("fingerprint", r#"{"fields":["a","b"]}"#, r#"{"a":1,"b":2}"#),
            run("fingerprint", r#"{"fields":["b","a"]}"#, r#"{"a":1,"b":2}"#)
        );
    }

    /// gcp/compute's pipeline fingerprints `gcp.labels`; real Elasticsearch's value is in the
    /// expected output.
    #[test]
    fn matches_elasticsearch_on_corpus() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/packages/gcp/data_stream/compute/_dev/test/pipeline");
        let (Ok(input), Ok(expected)) = (
            std::fs::read_to_string(dir.join("test-gcp-compute.json")),
            std::fs::read_to_string(dir.join("test-gcp-compute.json-expected.json")),
        ) else {
            println!("skipped: {} is absent", dir.display());
            return;
        };
        let input = Value::from_json_str(&input).unwrap();
        let expected = Value::from_json_str(&expected).unwrap();
        let event = &input.as_map().unwrap()["events"].as_list().unwrap()[0];
        let want = &expected.as_map().unwrap()["expected"].as_list().unwrap()[0];
        let labels = &event.as_map().unwrap()["gcp"].as_map().unwrap()["labels"];
        let want = &want.as_map().unwrap()["gcp"].as_map().unwrap()["labels_fingerprint"];
        let doc = format!(r#"{{"gcp":{{"labels":{}}}}}"#, labels.to_json());
        let out = run(
            "fingerprint",
            r#"{"fields":["gcp.labels"],"target_field":"gcp.labels_fingerprint","ignore_missing":true}"#,
            &doc,
        )
        .unwrap();
        let out = Value::from_json_str(&out).unwrap();
        let got = &out.as_map().unwrap()["gcp"].as_map().unwrap()["labels_fingerprint"];
        assert_eq!(got, want);
        assert_eq!(want, &Value::from("vP7l3YwKK9Mr+96HYpEj/Of6zVI="));
    }

    #[test]
    fn missing_fields() {
        fails(
            "fingerprint",
            r#"{"fields":["a","b"]}"#,
            r#"{"a":1}"#,
            "missing field [b] when calculating fingerprint",
        );
        fails(
            "fingerprint",
            r#"{"fields":["a"]}"#,
            r#"{"a":null}"#,
            "missing field [a] when calculating fingerprint",
        );
        give(
            "fingerprint",
            r#"{"fields":["a"],"ignore_missing":true}"#,
            "{}",
            "{}",
        );
    }

    #[test]
    fn config_errors() {
        bad_config("fingerprint", "{}", "[fields] required property is missing");
        bad_config(
            "fingerprint",
            r#"{"fields":[]}"#,
            "[fields] must specify at least one field",
        );
        bad_config(
            "fingerprint",
            r#"{"fields":["a"],"method":"sha1"}"#,
            "[method] [sha1] must be one of the supported hash methods [MD5,SHA-1,SHA-256,SHA-512,MurmurHash3]",
        );
    }
}
